package org.browseros.ipc.main.ipc;

/**
 * Who sent a message, as the gateway established it from the launch secret at handshake. Nothing
 * in a payload can change it.
 *
 * @param rendererId the renderer's id ({@code renderer-1}, {@code console-3}, ...)
 * @param profileId the profile the renderer is bound to
 * @param capability the capability it was launched with
 */
public record Caller(String rendererId, String profileId, String capability) {}
