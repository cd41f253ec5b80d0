package org.browseros.ipc.main.monitor;

import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Figures of one channel: messages, request → reply latencies (HdrHistogram, microseconds) and
 * error replies by code, since start and over a sliding window made of a ring of one-second slots.
 * Thread-safe: connections record concurrently.
 */
public final class ChannelMetrics {
  private static final long SLOT_NANOS = 1_000_000_000L;

  private final String channel;
  private final int windowSeconds;
  private final Slot total = new Slot();
  private final Slot[] ring;

  ChannelMetrics(String channel, int windowSeconds) {
    this.channel = channel;
    this.windowSeconds = windowSeconds;
    this.ring = new Slot[windowSeconds];
    for (int i = 0; i < windowSeconds; i++) {
      ring[i] = new Slot();
    }
  }

  /** A message on this channel (request or one-way), at {@code nowNanos} since the metrics' start. */
  synchronized void recordMessage(long nowNanos) {
    total.messages++;
    slot(nowNanos).messages++;
  }

  /** A reply after {@code latencyNanos} (or -1 when unknown); {@code errorCode} null on success. */
  synchronized void recordReply(long nowNanos, long latencyNanos, String errorCode) {
    Slot slot = slot(nowNanos);
    if (latencyNanos >= 0) {
      long micros = Math.max(1, latencyNanos / 1000);
      total.latencies.recordValue(micros);
      slot.latencies.recordValue(micros);
    }
    if (errorCode != null) {
      total.errors.merge(errorCode, 1L, Long::sum);
      slot.errors.merge(errorCode, 1L, Long::sum);
    }
  }

  private Slot slot(long nowNanos) {
    long second = nowNanos / SLOT_NANOS;
    Slot slot = ring[(int) (second % windowSeconds)];
    if (slot.second != second) {
      slot.reset(second);
    }
    return slot;
  }

  /** The figures since start and over the window ending at {@code nowNanos}. */
  synchronized ChannelStats stats(long nowNanos) {
    long second = nowNanos / SLOT_NANOS;
    Slot window = new Slot();
    for (Slot slot : ring) {
      if (slot.second > second - windowSeconds && slot.second <= second) {
        window.add(slot);
      }
    }
    double elapsedSeconds = Math.max(1.0, nowNanos / (double) SLOT_NANOS);
    return new ChannelStats(channel,
        window.figures(Math.min(windowSeconds, elapsedSeconds)),
        total.figures(elapsedSeconds));
  }

  /** Figures of one channel: over the sliding window and since start. */
  public record ChannelStats(String channel, Figures window, Figures sinceStart) {}

  /**
   * @param messages requests and one-way messages
   * @param perSecond messages per second over the period
   * @param replies replies with a known latency
   * @param p50Ms the latencies' percentiles and maximum in milliseconds, 0 without replies
   * @param errors error replies by code
   */
  public record Figures(long messages, double perSecond, long replies, double p50Ms, double p90Ms, double p99Ms,
      double maxMs, Map<String, Long> errors) {}

  private static final class Slot {
    long second = -1;
    long messages;
    final Histogram latencies = new Histogram(3);
    final Map<String, Long> errors = new TreeMap<>();

    void reset(long newSecond) {
      second = newSecond;
      messages = 0;
      latencies.reset();
      errors.clear();
    }

    void add(Slot other) {
      messages += other.messages;
      latencies.add(other.latencies);
      other.errors.forEach((code, n) -> errors.merge(code, n, Long::sum));
    }

    Figures figures(double seconds) {
      long replies = latencies.getTotalCount();
      return new Figures(messages, messages / seconds, replies,
          ms(replies, latencies.getValueAtPercentile(50)), ms(replies, latencies.getValueAtPercentile(90)),
          ms(replies, latencies.getValueAtPercentile(99)), ms(replies, latencies.getMaxValue()),
          Map.copyOf(errors));
    }

    private static double ms(long count, long micros) {
      return count == 0 ? 0 : micros / 1000.0;
    }
  }
}
