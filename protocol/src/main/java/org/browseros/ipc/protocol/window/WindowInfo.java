package org.browseros.ipc.protocol.window;

import java.util.List;

/** A window as renderers see it; {@code tabs} lists its tab ids in order. */
public record WindowInfo(
    String windowId, String title, Bounds bounds, WindowState state, boolean focused, List<String> tabs) {}
