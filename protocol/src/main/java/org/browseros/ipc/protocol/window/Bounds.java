package org.browseros.ipc.protocol.window;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** A window's position and size in screen pixels. */
public record Bounds(
    @Min(-Limits.MAX_POSITION) @Max(Limits.MAX_POSITION) int x,
    @Min(-Limits.MAX_POSITION) @Max(Limits.MAX_POSITION) int y,
    @Min(1) @Max(Limits.MAX_DIMENSION) int width,
    @Min(1) @Max(Limits.MAX_DIMENSION) int height) {
  public static final Bounds DEFAULT = new Bounds(0, 0, 1280, 800);
}
