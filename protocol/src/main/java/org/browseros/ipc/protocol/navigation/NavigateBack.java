package org.browseros.ipc.protocol.navigation;

/** {@code navigate:back}; replies with the tab. */
public record NavigateBack(String tabId) {}
