package org.browseros.ipc.main.gateway;

/**
 * The live figures of one connection, written by its {@link Connection} only and read from any
 * thread by the {@link ConnectionRegistry} (renderers:list, the inspector).
 */
public final class ConnectionFigures {
  private volatile long lastHeartbeatNanos = System.nanoTime();
  private volatile long sent;
  private volatile long processed;
  private volatile long dropped;
  private volatile boolean behind;

  void heartbeat(long atNanos) {
    lastHeartbeatNanos = atNanos;
  }

  void update(long sent, long processed, long dropped, boolean behind) {
    this.sent = sent;
    this.processed = processed;
    this.dropped = dropped;
    this.behind = behind;
  }

  /** Milliseconds since the renderer's last heartbeat (or since the connection opened). */
  public long heartbeatAgeMillis() {
    return (System.nanoTime() - lastHeartbeatNanos) / 1_000_000;
  }

  /** Envelopes sent to the renderer that it has not reported processed: its queue depth. */
  public long queueDepth() {
    return Math.max(0, sent - processed);
  }

  /** Pushes, broadcasts, system events and main-to-renderer invokes not sent because the renderer was behind. */
  public long dropped() {
    return dropped;
  }

  /** True while the renderer is over the soft limit. */
  public boolean behind() {
    return behind;
  }
}
