package org.browseros.ipc.protocol.window;

/** {@code window:update}: every field but {@code windowId} is optional; absent means unchanged. */
public record WindowUpdate(String windowId, String title, Bounds bounds, WindowState state, Boolean focused) {}
