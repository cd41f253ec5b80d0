package org.browseros.ipc.main.monitor;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.browseros.ipc.main.monitor.ChannelMetrics.ChannelStats;

/** The profiler: {@link ChannelMetrics} per channel, on one clock. */
public final class Metrics {
  private final LongSupplier nanoClock;
  private final long startNanos;
  private final int windowSeconds;
  private final ConcurrentHashMap<String, ChannelMetrics> channels = new ConcurrentHashMap<>();

  /** @param nanoClock monotonic nanoseconds ({@code System::nanoTime}; tests pass a fake) */
  public Metrics(LongSupplier nanoClock, int windowSeconds) {
    if (windowSeconds < 1) {
      throw new IllegalArgumentException("windowSeconds must be >= 1");
    }
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
    this.windowSeconds = windowSeconds;
  }

  public void recordMessage(String channel) {
    channel(channel).recordMessage(sinceStart());
  }

  /** @param latencyNanos -1 when the request was not seen; @param errorCode null on success */
  public void recordReply(String channel, long latencyNanos, String errorCode) {
    channel(channel).recordReply(sinceStart(), latencyNanos, errorCode);
  }

  /** Every channel seen so far, by name. */
  public Snapshot snapshot() {
    long now = sinceStart();
    List<ChannelStats> stats = channels.values().stream()
        .map(c -> c.stats(now))
        .sorted(Comparator.comparing(ChannelStats::channel))
        .toList();
    return new Snapshot(now / 1_000_000, windowSeconds, stats);
  }

  public long nanoTime() {
    return nanoClock.getAsLong();
  }

  private long sinceStart() {
    return Math.max(0, nanoClock.getAsLong() - startNanos);
  }

  private ChannelMetrics channel(String name) {
    // Channel names are checked before they get here only on the valid path: bound the map anyway.
    String key = name == null ? "(none)" : name.length() > 128 ? name.substring(0, 128) : name;
    ChannelMetrics metrics = channels.get(key);
    if (metrics != null) {
      return metrics;
    }
    if (channels.size() >= 1000) {
      return channels.computeIfAbsent("(other)", k -> new ChannelMetrics(k, windowSeconds));
    }
    return channels.computeIfAbsent(key, k -> new ChannelMetrics(k, windowSeconds));
  }

  /** @param uptimeMs since the metrics started; @param windowSeconds length of the sliding window */
  public record Snapshot(long uptimeMs, int windowSeconds, List<ChannelStats> channels) {}
}
