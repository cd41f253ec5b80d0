package org.browseros.ipc.protocol.session;

/** What a renderer sends to its connection actor in main after the handshake. */
public interface ToMain {}
