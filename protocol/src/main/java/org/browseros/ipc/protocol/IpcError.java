package org.browseros.ipc.protocol;

import java.util.Objects;

/**
 * A typed error: what went wrong ({@code code}), a human message, and the channel and request it
 * belongs to. It is the payload of every {@link MessageType#ERROR} envelope.
 */
public record IpcError(ErrorCode code, String message, String channel, String requestId) {
  public IpcError {
    Objects.requireNonNull(code, "code");
    message = message == null ? "" : message;
  }

  public static IpcError of(ErrorCode code, String message) {
    return new IpcError(code, message, null, null);
  }

  public IpcError withRequest(String channel, String requestId) {
    return new IpcError(code, message, channel, requestId);
  }
}
