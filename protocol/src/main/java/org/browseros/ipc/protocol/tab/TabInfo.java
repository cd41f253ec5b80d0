package org.browseros.ipc.protocol.tab;

/** A tab as renderers see it. */
public record TabInfo(
    String tabId,
    String windowId,
    String url,
    String title,
    boolean canGoBack,
    boolean canGoForward,
    boolean pinned,
    boolean muted,
    boolean active) {}
