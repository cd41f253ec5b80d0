package org.browseros.ipc.protocol.window;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a window is shown; its wire form is lower case ({@code "maximized"}). */
public enum WindowState {
  NORMAL,
  MINIMIZED,
  MAXIMIZED,
  FULLSCREEN;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  @JsonCreator
  public static WindowState fromWire(String value) {
    for (WindowState s : values()) {
      if (s.wireName().equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException("state must be one of normal, minimized, maximized, fullscreen");
  }
}
