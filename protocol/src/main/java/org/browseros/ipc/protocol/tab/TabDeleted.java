package org.browseros.ipc.protocol.tab;

/** Reply to {@code tab:delete}. */
public record TabDeleted(String tabId, String windowId) {}
