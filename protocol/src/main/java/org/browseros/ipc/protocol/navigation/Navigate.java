package org.browseros.ipc.protocol.navigation;

/** {@code navigate}: load {@code url} in the tab; replies with the tab. */
public record Navigate(String tabId, String url) {}
