package org.browseros.ipc.protocol;

/** The kind of an {@link Envelope}. */
public enum MessageType {
  /** A request ({@code invoke}) or, with {@code inReplyTo} set, its successful reply. */
  COMMAND,
  /** A one-way event: renderer to main ({@code send}), main to renderer (push) or a broadcast. */
  EVENT,
  /** A versioned state snapshot or delta on {@code state:sync}. */
  STATE_UPDATE,
  /** A failed reply, or an error about a one-way message; the payload is an {@link IpcError}. */
  ERROR,
  /** A {@code system:event} broadcast: renderer lifecycle, low memory, settings changed. */
  SYSTEM_EVENT
}
