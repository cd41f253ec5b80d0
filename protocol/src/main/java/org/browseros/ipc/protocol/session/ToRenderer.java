package org.browseros.ipc.protocol.session;

/** What main sends to a renderer. */
public interface ToRenderer {}
