package org.browseros.ipc.protocol.navigation;

/** {@code navigate:forward}; replies with the tab. */
public record NavigateForward(String tabId) {}
