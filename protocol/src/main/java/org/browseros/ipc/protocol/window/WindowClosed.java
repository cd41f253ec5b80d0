package org.browseros.ipc.protocol.window;

import java.util.List;

/** Reply to {@code window:close}: the window and the tabs that closed with it. */
public record WindowClosed(String windowId, List<String> closedTabs) {}
