package org.browseros.ipc.protocol.tab;

/** {@code tab:delete}. */
public record TabDelete(String tabId) {}
