package org.browseros.ipc.main.ipc;

/**
 * What a handler or listener in main learns about a message besides its payload, like Electron's
 * {@code IpcMainEvent}: who sent it (as the gateway authenticated it), on which channel, and its id.
 */
public record IpcMainEvent(Caller sender, String channel, String messageId, long timestamp) {
  public String rendererId() {
    return sender.rendererId();
  }
}
