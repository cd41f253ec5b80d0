package org.browseros.ipc.main.gateway;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;

/**
 * The invokes one renderer sent recently, by request id, with their results: a renderer that lost
 * its connection re-sends a request under the same id, and main answers the duplicate from here
 * (still running: the same result, once it completes; done: the cached result) instead of running
 * it twice. It outlives a single {@link Connection}: the gateway keeps one per renderer id.
 *
 * <p>Bounded by count, age and bytes: a completed request keeps its result only if its encoded
 * reply is small ({@link #DEFAULT_MAX_REPLY_BYTES}) and the log's retained replies stay within
 * {@link #DEFAULT_MAX_RETAINED_BYTES}; otherwise only the fact that it ran is kept, and a duplicate
 * gets CONFLICT instead of running again. Requests on idempotent built-in channels are not kept:
 * running them again is harmless. Thread-safe: an old and a new connection of a renderer may overlap briefly.
 */
public final class RequestLog {
  public static final int DEFAULT_CAPACITY = 1024;
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);
  /** Replies larger than this are not kept for duplicates (1 MiB echoes x 1,024 ids exhausted main's heap). */
  public static final int DEFAULT_MAX_REPLY_BYTES = 64 * 1024;
  public static final long DEFAULT_MAX_RETAINED_BYTES = 4L * 1024 * 1024;

  /** What {@link #earlier} found for a request id. */
  public record Earlier(String channel, CompletionStage<?> result) {}

  /** Changed in place when the reply is known (one lookup per step of a request, no copy). */
  private static final class Entry {
    private final String channel;
    private final long recordedNanos;
    private CompletionStage<?> result;
    // < 0 while the request runs (its size is not known yet).
    private long bytes = -1;

    private Entry(String channel, CompletionStage<?> result, long recordedNanos) {
      this.channel = channel;
      this.result = result;
      this.recordedNanos = recordedNanos;
    }
  }

  private final int capacity;
  private final long maxAgeNanos;
  private final int maxReplyBytes;
  private final long maxRetainedBytes;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private long retainedBytes;

  public RequestLog() {
    this(DEFAULT_CAPACITY, DEFAULT_MAX_AGE);
  }

  public RequestLog(int capacity, Duration maxAge) {
    this(capacity, maxAge, DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_RETAINED_BYTES);
  }

  public RequestLog(int capacity, Duration maxAge, int maxReplyBytes, long maxRetainedBytes) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
    this.maxAgeNanos = maxAge.toNanos();
    this.maxReplyBytes = maxReplyBytes;
    this.maxRetainedBytes = maxRetainedBytes;
  }

  /** The request with this id, if it was recorded recently. */
  public synchronized Optional<Earlier> earlier(String requestId) {
    Entry entry = entries.get(requestId);
    // Too old counts as gone; record() drops it.
    if (entry == null || System.nanoTime() - entry.recordedNanos > maxAgeNanos) {
      return Optional.empty();
    }
    return Optional.of(new Earlier(entry.channel, entry.result));
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
      Iterator<Entry> eldest = entries.values().iterator();
      forget(eldest.next());
      eldest.remove();
    }
  }

  /**
   * The request's reply was encoded to {@code replyBytes}: keep its result for duplicates if it is
   * small and the budget allows, else keep only that it ran.
   */
  public synchronized void replied(String requestId, long replyBytes) {
    Entry entry = entries.get(requestId);
    if (entry == null || entry.bytes >= 0) {
      return;
    }
    if (replyBytes <= maxReplyBytes && retainedBytes + replyBytes <= maxRetainedBytes) {
      retainedBytes += replyBytes;
      entry.bytes = replyBytes;
    } else {
      entry.result = CompletableFuture.failedFuture(new IpcException(ErrorCode.CONFLICT,
          "Request '" + requestId + "' already ran; its reply of " + replyBytes + " bytes was not kept for a repeat"));
      entry.bytes = 0;
    }
  }

  /** Bytes of replies kept for duplicates. */
  public synchronized long retainedBytes() {
    return retainedBytes;
  }

  private void forget(Entry entry) {
    if (entry.bytes > 0) {
      retainedBytes -= entry.bytes;
    }
  }

  public synchronized int size() {
    return entries.size();
  }

  private void expire(long now) {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Entry entry = it.next().getValue();
      if (now - entry.recordedNanos <= maxAgeNanos) {
        break;
      }
      forget(entry);
      it.remove();
    }
  }
}
