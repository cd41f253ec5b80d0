package org.browseros.ipc.protocol.renderers;

/**
 * A renderer as the supervisor sees it, with the live figures of its connection.
 *
 * @param status {@code starting}, {@code connected}, {@code crashed}, {@code restarting},
 *     {@code stopped}, {@code given-up}, {@code attached} for a client main did not launch, or
 *     {@code spare} for the spare renderer (id {@code spare}, no capability until it is assigned)
 * @param heartbeatAgeMillis milliseconds since its last heartbeat; null when not connected
 * @param queueDepth envelopes main sent it that it has not yet reported processed; null when not connected
 * @param dropped pushes, broadcasts and system events main dropped because it was behind; null when not connected
 * @param rssBytes resident memory of its process (VmRSS); null without a pid or where /proc is unavailable
 */
public record RendererInfo(
    String rendererId, Long pid, String capability, String status, int restarts, String profileId,
    Long heartbeatAgeMillis, Long queueDepth, Long dropped, Long rssBytes) {

  /** Without live figures: what the supervisor alone knows. */
  public RendererInfo(String rendererId, Long pid, String capability, String status, int restarts, String profileId) {
    this(rendererId, pid, capability, status, restarts, profileId, null, null, null, null);
  }

  /** This renderer with live figures. */
  public RendererInfo withFigures(Long heartbeatAgeMillis, Long queueDepth, Long dropped, Long rssBytes) {
    return new RendererInfo(rendererId, pid, capability, status, restarts, profileId, heartbeatAgeMillis, queueDepth,
        dropped, rssBytes);
  }
}
