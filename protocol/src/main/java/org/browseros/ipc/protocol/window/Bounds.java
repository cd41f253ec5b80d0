package org.browseros.ipc.protocol.window;

/** A window's position and size in screen pixels. */
public record Bounds(int x, int y, int width, int height) {
  public static final Bounds DEFAULT = new Bounds(0, 0, 1280, 800);
}
