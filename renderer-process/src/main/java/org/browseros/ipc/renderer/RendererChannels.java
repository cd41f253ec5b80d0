package org.browseros.ipc.renderer;

import org.browseros.ipc.protocol.Channel;

/** Channels the renderer module adds to the built-ins: main invokes them on a renderer. */
public final class RendererChannels {
  private RendererChannels() {}

  /** {@code renderer:info}: takes no fields. */
  public record RendererInfoQuery() {}

  /**
   * Reply to {@code renderer:info}.
   *
   * @param stateVersion the version of the renderer's state replica
   * @param uptimeMillis how long the renderer JVM has run
   */
  public record RendererStatus(String rendererId, long pid, long stateVersion, long uptimeMillis) {}

  /** Main asks a renderer who it is and which state version it holds. */
  public static final Channel<RendererInfoQuery, RendererStatus> RENDERER_INFO =
      Channel.invoke("renderer:info", RendererInfoQuery.class, RendererStatus.class);
}
