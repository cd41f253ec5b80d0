package org.browseros.ipc.protocol.tab;

/** {@code tab:update}: every field but {@code tabId} is optional; absent means unchanged. */
public record TabUpdate(String tabId, String title, Boolean pinned, Boolean muted, Boolean active) {}
