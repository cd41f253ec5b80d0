package org.browseros.ipc.main.monitor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.Subscription;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The {@link MessageTap} main installs on every connection: it feeds the profiler ({@link Metrics}),
 * the structured logs (messages, errors, slow handlers) and the inspector's live watchers.
 *
 * <p>When nobody watches and message logging is off, a message costs a few map operations: no
 * payload is decoded and no message is kept.
 */
public final class IpcMonitor implements MessageTap {
  /** Messages of channels switched on with {@link #logChannels}; INFO. */
  public static final Logger MESSAGES = LoggerFactory.getLogger("org.browseros.ipc.monitor.messages");
  /** Every error reply, with its code and cause; INTERNAL at WARN, the rest at INFO. */
  public static final Logger ERRORS = LoggerFactory.getLogger("org.browseros.ipc.monitor.errors");
  /** Replies slower than the threshold; WARN. */
  public static final Logger PERFORMANCE = LoggerFactory.getLogger("org.browseros.ipc.monitor.performance");

  public static final String MDC_CHANNEL = "channel";
  public static final String MDC_RENDERER = "renderer";
  public static final String MDC_REQUEST_ID = "requestId";
  public static final String MDC_TYPE = "type";

  private static final int MAX_PENDING = 10_000;

  private final Metrics metrics;
  private final LongSupplier nanoClock;
  private final Duration slowThreshold;
  private final int recentCapacity;
  private final int previewChars;
  private final AtomicLong seq = new AtomicLong();
  private final ConcurrentHashMap<PendingKey, Pending> pending = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> lastHeardNanos = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final Deque<MonitoredMessage> recent = new ArrayDeque<>();
  private final ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> transportDrops = new ConcurrentHashMap<>();
  private volatile Logged logged = Logged.NONE;

  private record Pending(long atNanos, long seq) {}

  private record PendingKey(String rendererId, boolean inbound, String id) {}

  /** The channels whose messages are logged, and which names matched, remembered until they change. */
  private record Logged(List<ChannelGlob> globs, ConcurrentHashMap<String, Boolean> matched) {
    static final Logged NONE = new Logged(List.of(), new ConcurrentHashMap<>());
    static final int MAX_REMEMBERED = 1024;

    boolean matches(String channel) {
      if (globs.isEmpty() || channel == null) {
        return false;
      }
      Boolean known = matched.get(channel);
      if (known != null) {
        return known;
      }
      boolean match = globs.stream().anyMatch(g -> g.matches(channel));
      if (matched.size() < MAX_REMEMBERED) {
        matched.put(channel, match);
      }
      return match;
    }
  }

  private record Watcher(MessageFilter filter, Consumer<MonitoredMessage> sink) {}

  /**
   * @param slowThreshold replies slower than this are logged on {@link #PERFORMANCE}
   * @param recentCapacity messages kept for the inspector while someone watches
   * @param previewChars payload previews are cut to this many characters
   */
  public IpcMonitor(Duration slowThreshold, int recentCapacity, int previewChars, int windowSeconds, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.metrics = new Metrics(nanoClock, windowSeconds);
    this.slowThreshold = slowThreshold;
    this.recentCapacity = recentCapacity;
    this.previewChars = previewChars;
  }

  public IpcMonitor(Duration slowThreshold) {
    this(slowThreshold, 1000, 2000, 60, System::nanoTime);
  }

  public Metrics metrics() {
    return metrics;
  }

  public Duration slowThreshold() {
    return slowThreshold;
  }

  /**
   * Counts a message the edge transport dropped before any connection saw it (untrusted mode,
   * unknown path, wrong address; {@code security.ArteryDrops} reports them).
   */
  public void recordTransportDrop(String kind) {
    transportDrops.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.LongAdder()).increment();
  }

  /** Messages the edge transport dropped since start, by kind. */
  public Map<String, Long> transportDrops() {
    Map<String, Long> counts = new java.util.TreeMap<>();
    transportDrops.forEach((kind, count) -> counts.put(kind, count.sum()));
    return counts;
  }

  @Override
  public void inbound(Caller caller, Envelope envelope) {
    observe(true, caller.rendererId(), envelope);
  }

  @Override
  public void outbound(Caller caller, Envelope envelope) {
    observe(false, caller.rendererId(), envelope);
  }

  private void observe(boolean inbound, String rendererId, Envelope envelope) {
    try {
      long now = nanoClock.getAsLong();
      long number = seq.incrementAndGet();
      if (inbound) {
        AtomicLong heard = lastHeardNanos.get(rendererId);
        if (heard == null) {
          heard = lastHeardNanos.computeIfAbsent(rendererId, k -> new AtomicLong());
        }
        heard.set(now);
      }
      long latency = -1;
      long requestSeq = -1;
      if (envelope.inReplyTo() != null) {
        Pending request = pending.remove(new PendingKey(rendererId, !inbound, envelope.inReplyTo()));
        if (request != null) {
          latency = now - request.atNanos();
          requestSeq = request.seq();
        }
        if (request != null || envelope.type() == MessageType.ERROR) {
          metrics.recordReply(envelope.channel(), latency, envelope.type() == MessageType.ERROR ? errorOf(envelope).code().name() : null);
        }
      } else {
        // Count each message once: inbound messages and main-to-renderer invokes, not pushes.
        if (inbound || envelope.type() == MessageType.COMMAND) {
          metrics.recordMessage(envelope.channel());
        }
        if (envelope.isRequest() && envelope.id() != null) {
          if (pending.size() >= MAX_PENDING) {
            prunePending(now);
          }
          pending.put(new PendingKey(rendererId, inbound, envelope.id()), new Pending(now, number));
        }
      }
      boolean error = envelope.type() == MessageType.ERROR;
      boolean slow = latency > slowThreshold.toNanos();
      boolean logMessage = logged.matches(envelope.channel());
      boolean watched = !watchers.isEmpty();
      if (!error && !slow && !logMessage && !watched) {
        // The common case: counted above, nothing to log or show.
        return;
      }
      MonitoredMessage message = new MonitoredMessage(number, System.currentTimeMillis(), inbound, rendererId, envelope, latency, requestSeq);
      if (error || slow || logMessage) {
        log(message, error, slow, logMessage);
      }
      if (watched) {
        synchronized (recent) {
          recent.addLast(message);
          while (recent.size() > recentCapacity) {
            recent.removeFirst();
          }
        }
        for (Watcher watcher : watchers) {
          if (watcher.filter().matches(message)) {
            watcher.sink().accept(message);
          }
        }
      }
    } catch (RuntimeException e) {
      // Watching must never break the connection it watches.
      ERRORS.warn("The IPC monitor failed on [{}]", envelope, e);
    }
  }

  private void log(MonitoredMessage message, boolean error, boolean slow, boolean logMessage) {
    Envelope envelope = message.envelope();
    MDC.put(MDC_CHANNEL, envelope.channel());
    MDC.put(MDC_RENDERER, message.rendererId());
    MDC.put(MDC_REQUEST_ID, envelope.inReplyTo() != null ? envelope.inReplyTo() : envelope.id());
    MDC.put(MDC_TYPE, String.valueOf(envelope.type()));
    try {
      if (logMessage) {
        MESSAGES.info("{} [{}] {} {}: {}", message.inbound() ? "from" : "to", message.rendererId(), envelope.type(),
            envelope.channel(), preview(envelope));
      }
      if (error) {
        IpcError ipcError = errorOf(envelope);
        String direction = message.inbound() ? "from renderer" : "to renderer";
        if (ipcError.code() == org.browseros.ipc.protocol.ErrorCode.INTERNAL) {
          ERRORS.warn("Error reply {} [{}] on [{}]: {} {}", direction, message.rendererId(), envelope.channel(),
              ipcError.code(), ipcError.message());
        } else {
          ERRORS.info("Error reply {} [{}] on [{}]: {} {}", direction, message.rendererId(), envelope.channel(),
              ipcError.code(), ipcError.message());
        }
      }
      if (slow) {
        PERFORMANCE.warn("Slow reply on [{}] for [{}]: {} ms (threshold {} ms)", envelope.channel(), message.rendererId(),
            message.latencyNanos() / 1_000_000, slowThreshold.toMillis());
      }
    } finally {
      MDC.remove(MDC_CHANNEL);
      MDC.remove(MDC_RENDERER);
      MDC.remove(MDC_REQUEST_ID);
      MDC.remove(MDC_TYPE);
    }
  }

  private void prunePending(long now) {
    long horizon = now - Duration.ofMinutes(1).toNanos();
    pending.values().removeIf(p -> p.atNanos() < horizon);
    if (pending.size() >= MAX_PENDING) {
      pending.clear();
    }
  }

  private static IpcError errorOf(Envelope envelope) {
    try {
      return PayloadCodec.decode(envelope.payload(), IpcError.class);
    } catch (RuntimeException e) {
      return IpcError.of(org.browseros.ipc.protocol.ErrorCode.INTERNAL, "undecodable error payload");
    }
  }

  /** The payload as JSON text, cut to the preview length; never throws. */
  public String preview(Envelope envelope) {
    String text;
    try {
      text = PayloadCodec.toJsonString(PayloadCodec.toJson(envelope.payload()));
    } catch (RuntimeException e) {
      text = "<" + envelope.payload().length + " undecodable bytes>";
    }
    return text.length() <= previewChars ? text : text.substring(0, previewChars) + "…(" + text.length() + " chars)";
  }

  // ---- message logging --------------------------------------------------------------------------

  /** Switches message logging to the channels matching {@code globs}; empty switches it off. */
  public void logChannels(List<String> globs) {
    List<ChannelGlob> parsed = globs.stream().map(ChannelGlob::of).toList();
    logged = parsed.isEmpty() ? Logged.NONE : new Logged(parsed, new ConcurrentHashMap<>());
  }

  public List<String> loggedChannels() {
    return logged.globs().stream().map(ChannelGlob::toString).toList();
  }

  // ---- watchers ---------------------------------------------------------------------------------

  /**
   * Calls {@code sink} with every message matching {@code filter} until unsubscribed; on the
   * connection's thread, so the sink must only hand it on.
   */
  public Subscription watch(MessageFilter filter, Consumer<MonitoredMessage> sink) {
    Watcher watcher = new Watcher(filter, sink);
    watchers.add(watcher);
    return () -> {
      watchers.remove(watcher);
      if (watchers.isEmpty()) {
        synchronized (recent) {
          recent.clear();
        }
      }
    };
  }

  public int watcherCount() {
    return watchers.size();
  }

  /** The last messages matching {@code filter} kept while someone watched, oldest first. */
  public List<MonitoredMessage> recent(MessageFilter filter, int limit) {
    List<MonitoredMessage> matching = new ArrayList<>();
    synchronized (recent) {
      Iterator<MonitoredMessage> newestFirst = recent.descendingIterator();
      while (newestFirst.hasNext() && matching.size() < limit) {
        MonitoredMessage m = newestFirst.next();
        if (filter.matches(m)) {
          matching.add(m);
        }
      }
    }
    java.util.Collections.reverse(matching);
    return matching;
  }

  public Optional<MonitoredMessage> message(long seq) {
    synchronized (recent) {
      return recent.stream().filter(m -> m.seq() == seq).findFirst();
    }
  }

  /** The reply to a kept request, if it was kept too. */
  public Optional<MonitoredMessage> replyTo(MonitoredMessage request) {
    synchronized (recent) {
      return recent.stream()
          .filter(m -> m.requestSeq() == request.seq() || (m.inbound() != request.inbound()
              && m.rendererId().equals(request.rendererId()) && request.envelope().id() != null
              && request.envelope().id().equals(m.envelope().inReplyTo())))
          .findFirst();
    }
  }

  /** Milliseconds since each renderer's last message, by renderer id. */
  public Map<String, Long> lastHeardAgeMillis() {
    long now = nanoClock.getAsLong();
    Map<String, Long> ages = new java.util.TreeMap<>();
    lastHeardNanos.forEach((id, at) -> ages.put(id, (now - at.get()) / 1_000_000));
    return ages;
  }
}
