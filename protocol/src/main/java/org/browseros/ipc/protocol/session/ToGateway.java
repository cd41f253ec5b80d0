package org.browseros.ipc.protocol.session;

/** What a renderer may send to the gateway: only the handshake. */
public interface ToGateway {}
