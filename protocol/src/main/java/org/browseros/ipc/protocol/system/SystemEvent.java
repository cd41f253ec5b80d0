package org.browseros.ipc.protocol.system;

import java.util.Map;

/**
 * A {@code system:event} broadcast.
 *
 * @param kind what happened: see the constants
 * @param rendererId the renderer concerned, if any
 * @param detail a human-readable sentence
 * @param data further facts as strings (pid, restarts, key, ...)
 * @param timestamp epoch milliseconds in main
 */
public record SystemEvent(String kind, String rendererId, String detail, Map<String, String> data, long timestamp) {
  public static final String RENDERER_JOINED = "renderer-joined";
  public static final String RENDERER_LEFT = "renderer-left";
  public static final String RENDERER_CRASHED = "renderer-crashed";
  public static final String RENDERER_RESTARTED = "renderer-restarted";
  /** Main terminated a renderer that broke the protocol or its capability (data: reason). */
  public static final String RENDERER_BAD_MESSAGE = "renderer-bad-message";
  public static final String LOW_MEMORY = "low-memory";
  public static final String SETTINGS_CHANGED = "settings-changed";

  public SystemEvent {
    data = data == null ? Map.of() : Map.copyOf(data);
  }
}
