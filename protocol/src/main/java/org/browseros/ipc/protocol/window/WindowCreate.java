package org.browseros.ipc.protocol.window;

/** {@code window:create}: both fields optional. */
public record WindowCreate(String title, Bounds bounds) {}
