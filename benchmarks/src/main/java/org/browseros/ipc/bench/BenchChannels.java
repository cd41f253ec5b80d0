package org.browseros.ipc.bench;

import org.browseros.ipc.protocol.Channel;

/** The application channels the harness registers in main: they measure the IPC layers, not a domain. */
public final class BenchChannels {
  private BenchChannels() {}

  /** Opaque bytes (CBOR byte string): the payload of echo round trips. */
  public record Blob(byte[] data) {}

  /** One fan-out message: its sequence number and main's send time (System.nanoTime, CLOCK_MONOTONIC). */
  public record Tick(long seq, long sentNanos) {}

  /** A renderer saw message {@code seq} at {@code receivedNanos} (same clock as {@link Tick}). */
  public record Ack(long seq, long receivedNanos) {}

  /** Main has received {@code received} events of the sender so far: flow-control credit. */
  public record Credit(long received) {}

  /** Answered by main's IpcMain with the same bytes. */
  public static final Channel<Blob, Blob> ECHO = Channel.invoke("bench:echo", Blob.class, Blob.class);
  /** Renderer to main, one way, counted by an ipcMain.on listener. */
  public static final Channel<Blob, Void> EVENT = Channel.rendererToMain("bench:event", Blob.class);
  /** Main to one renderer: credit for {@link #EVENT}. */
  public static final Channel<Credit, Void> CREDIT = Channel.mainToRenderer("bench:credit", Credit.class);
  /**
   * Renderer to main: how many {@link #EVENT}s main has counted from this renderer. An invoke is handled
   * after every send the renderer made before it, so the answer covers all of them.
   */
  public static final Channel<Blob, Credit> COUNTED = Channel.invoke("bench:counted", Blob.class, Credit.class);
  /** Main to every renderer. */
  public static final Channel<Tick, Void> BROADCAST = Channel.broadcast("bench:broadcast", Tick.class);
  /** Renderer to main: receipt of a broadcast or of a state delta. */
  public static final Channel<Ack, Void> ACK = Channel.rendererToMain("bench:ack", Ack.class);
}
