package org.browseros.ipc.protocol.renderers;

/**
 * A renderer as the supervisor sees it.
 *
 * @param status {@code starting}, {@code connected}, {@code crashed}, {@code restarting},
 *     {@code stopped}, {@code given-up}, or {@code attached} for a client main did not launch
 */
public record RendererInfo(
    String rendererId, Long pid, String capability, String status, int restarts, String profileId) {}
