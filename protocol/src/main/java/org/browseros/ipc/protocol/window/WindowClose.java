package org.browseros.ipc.protocol.window;

/** {@code window:close}. */
public record WindowClose(String windowId) {}
