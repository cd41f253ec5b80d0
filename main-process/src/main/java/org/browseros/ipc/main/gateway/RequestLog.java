package org.browseros.ipc.main.gateway;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;

/**
 * The invokes one renderer sent recently, by request id, with their results: a renderer that lost
 * its connection re-sends a request under the same id, and main answers the duplicate from here
 * (still running: the same result, once it completes; done: the cached result) instead of running
 * it twice. It outlives a single {@link Connection}: the gateway keeps one per renderer id.
 *
 * <p>Bounded by count and age. Requests on idempotent built-in channels are not kept: running them
 * again is harmless. Thread-safe: an old and a new connection of a renderer may overlap briefly.
 */
public final class RequestLog {
  public static final int DEFAULT_CAPACITY = 1024;
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);

  /** What {@link #earlier} found for a request id. */
  public record Earlier(String channel, CompletionStage<?> result) {}

  private record Entry(String channel, CompletionStage<?> result, long recordedNanos) {}

  private final int capacity;
  private final long maxAgeNanos;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  public RequestLog() {
    this(DEFAULT_CAPACITY, DEFAULT_MAX_AGE);
  }

  public RequestLog(int capacity, Duration maxAge) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
    this.maxAgeNanos = maxAge.toNanos();
  }

  /** The request with this id, if it was recorded recently. */
  public synchronized Optional<Earlier> earlier(String requestId) {
    expire(System.nanoTime());
    Entry entry = entries.get(requestId);
    return entry == null ? Optional.empty() : Optional.of(new Earlier(entry.channel(), entry.result()));
  }

  /** Remembers the result of a request that started running now. */
  public synchronized void record(String requestId, String channel, CompletionStage<?> result) {
    if (Channels.builtIn(channel).map(Channel::isIdempotent).orElse(false)) {
      return;
    }
    long now = System.nanoTime();
    expire(now);
    entries.putIfAbsent(requestId, new Entry(channel, result, now));
    while (entries.size() > capacity) {
      Iterator<String> eldest = entries.keySet().iterator();
      eldest.next();
      eldest.remove();
    }
  }

  public synchronized int size() {
    return entries.size();
  }

  private void expire(long now) {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext() && now - it.next().getValue().recordedNanos() > maxAgeNanos) {
      it.remove();
    }
  }
}
