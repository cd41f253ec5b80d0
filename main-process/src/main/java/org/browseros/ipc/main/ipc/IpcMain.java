package org.browseros.ipc.main.ipc;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Direction;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Electron-shaped API for application code in the main process: {@code handle} answers
 * renderers' {@code invoke}s, {@code on} receives their {@code send}s, and {@code sendTo},
 * {@code broadcast} and {@code invoke} reach renderers.
 *
 * <p>Handlers and listeners run on the sending renderer's connection actor, one message at a time
 * per renderer and in the order that renderer sent them (across {@code send} and {@code invoke});
 * messages of different renderers may run concurrently, so handler code must be thread-safe. A
 * handler that returns a {@link CompletionStage} does not hold up later messages.
 *
 * <p>Pushes toward renderers ({@link #sendTo}, {@link #broadcast}) on a throttled channel
 * ({@link #throttle}, config {@code browseros.ipc.throttle}) go out at most once per interval per
 * renderer and key: the first at once, later ones of the same interval coalesced so that only the
 * latest is sent when the interval ends. The throttle sits here, before encoding, so a coalesced
 * value is never encoded nor queued on a connection; the price is that a trailing value may be
 * overtaken by later pushes on other channels (order is kept per channel and key).
 *
 * <p>As Node's EventEmitter, a warning is logged once per channel when its listener count passes
 * {@link #getMaxListeners()} (default 10, config {@code browseros.ipc.max-listeners}, 0 = no limit).
 */
public final class IpcMain {
  private static final Logger log = LoggerFactory.getLogger(IpcMain.class);

  public static final int DEFAULT_MAX_LISTENERS = 10;

  /** Answers an invoke with a value. Any exception reaches the caller as an error with its message. */
  @FunctionalInterface
  public interface Handler<P, R> {
    R handle(IpcMainEvent event, P payload) throws Exception;
  }

  /** Answers an invoke asynchronously. A failed stage reaches the caller as an error with its message. */
  @FunctionalInterface
  public interface AsyncHandler<P, R> {
    CompletionStage<R> handle(IpcMainEvent event, P payload) throws Exception;
  }

  /** Receives one-way messages sent by renderers. */
  @FunctionalInterface
  public interface Listener<P> {
    void onMessage(IpcMainEvent event, P payload) throws Exception;
  }

  /** A registered handler, with the channel that tells how to decode its payload. */
  public record RegisteredHandler<P, R>(Channel<P, R> channel, AsyncHandler<P, R> handler, boolean once) {}

  /** A registered listener, with the channel that tells how to decode its payload. */
  public record RegisteredListener<P>(Channel<P, ?> channel, Listener<P> listener, boolean once, AtomicBoolean active) {}

  /** Where {@link #sendTo}, {@link #broadcast} and {@link #invoke} reach connected renderers. */
  public interface Renderers {
    void push(String rendererId, Channel<?, ?> channel, Object payload);

    void pushToAll(Channel<?, ?> channel, Object payload);

    <R> CompletionStage<R> invoke(String rendererId, Channel<?, R> channel, Object payload, Duration timeout);

    Set<String> connected();
  }

  /** Runs a task after a delay; the throttle's clock, replaceable in tests. */
  public interface Scheduler {
    void schedule(Runnable task, long delayNanos);
  }

  private record Throttle(long intervalNanos, Function<Object, String> keyOf) {}

  /** One throttled stream: a renderer ("*" for broadcast), a channel and a key of the payload. */
  private record GateKey(String target, String channel, String key) {}

  private static final class Gate {
    long lastSentNanos;
    boolean ticking;
    boolean dead;
    Object pending;
    boolean hasPending;
    Channel<?, ?> channel;
  }

  private final Map<String, RegisteredHandler<?, ?>> handlers = new ConcurrentHashMap<>();
  private final Map<String, List<RegisteredListener<?>>> listeners = new ConcurrentHashMap<>();
  private final Set<String> warnedChannels = ConcurrentHashMap.newKeySet();
  private final Map<String, Throttle> throttles = new ConcurrentHashMap<>();
  private final Map<GateKey, Gate> gates = new ConcurrentHashMap<>();
  private final Duration defaultInvokeTimeout;
  private final LongSupplier nanoClock;
  private volatile Scheduler scheduler;
  private volatile int maxListeners = DEFAULT_MAX_LISTENERS;
  private volatile Renderers renderers;

  public IpcMain(Duration defaultInvokeTimeout) {
    this(defaultInvokeTimeout, null, System::nanoTime);
  }

  /** With a given scheduler and clock for throttled pushes (tests); null = a daemon thread made on first use. */
  IpcMain(Duration defaultInvokeTimeout, Scheduler scheduler, LongSupplier nanoClock) {
    this.defaultInvokeTimeout = defaultInvokeTimeout;
    this.scheduler = scheduler;
    this.nanoClock = nanoClock;
  }

  /**
   * Applies {@code browseros.ipc.max-listeners} and the throttles of {@code browseros.ipc.throttle}
   * (channel name to a rate such as {@code "60/s"}, keyed per renderer), when present.
   */
  public void configure(Config config) {
    if (config.hasPath("browseros.ipc.max-listeners")) {
      setMaxListeners(config.getInt("browseros.ipc.max-listeners"));
    }
    if (config.hasPath("browseros.ipc.throttle")) {
      for (Map.Entry<String, ConfigValue> e : config.getObject("browseros.ipc.throttle").entrySet()) {
        throttle(e.getKey(), parseRate(e.getKey(), String.valueOf(e.getValue().unwrapped())));
      }
    }
  }

  private static double parseRate(String channel, String rate) {
    String text = rate.trim();
    try {
      return Double.parseDouble(text.endsWith("/s") ? text.substring(0, text.length() - 2).trim() : text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("browseros.ipc.throttle.\"" + channel + "\": '" + rate + "' is not a rate such as 60/s");
    }
  }

  /** Called once by the main process when the gateway is up. */
  public void attach(Renderers renderers) {
    this.renderers = renderers;
  }

  // ---- handle ----------------------------------------------------------------------------------

  public <P, R> void handle(Channel<P, R> channel, Handler<P, R> handler) {
    handleAsync(channel, (event, payload) -> CompletableFuture.completedFuture(handler.handle(event, payload)));
  }

  public <P, R> void handleAsync(Channel<P, R> channel, AsyncHandler<P, R> handler) {
    register(new RegisteredHandler<>(channel, handler, false));
  }

  /** Like {@link #handle}, for channels without a record type: payload and reply are JSON. */
  public void handle(String channel, Handler<JsonNode, Object> handler) {
    Channel<JsonNode, JsonNode> dynamic = Channel.dynamic(channel, Direction.INVOKE);
    handleAsync(dynamic, (event, payload) ->
        CompletableFuture.completedFuture(org.browseros.ipc.protocol.PayloadCodec.toTree(handler.handle(event, payload))));
  }

  /** Handles a single invoke, then removes itself (Electron's {@code handleOnce}). */
  public <P, R> void handleOnce(Channel<P, R> channel, Handler<P, R> handler) {
    register(new RegisteredHandler<>(channel,
        (event, payload) -> CompletableFuture.completedFuture(handler.handle(event, payload)), true));
  }

  public void removeHandler(String channel) {
    handlers.remove(channel);
  }

  private void register(RegisteredHandler<?, ?> registered) {
    Channel<?, ?> channel = registered.channel();
    if (Channels.isBuiltIn(channel.name())) {
      throw new IllegalArgumentException("'" + channel.name() + "' is a built-in channel served by the main process");
    }
    if (channel.direction() != Direction.INVOKE) {
      throw new IllegalArgumentException("'" + channel.name() + "' is not an invoke channel (" + channel.direction() + ")");
    }
    if (handlers.putIfAbsent(channel.name(), registered) != null) {
      throw new IllegalStateException("Attempted to register a second handler for '" + channel.name() + "'");
    }
  }

  /**
   * The handler for a channel, taking a once-handler out of the registry atomically so that it
   * answers exactly one invoke.
   */
  public Optional<RegisteredHandler<?, ?>> takeHandler(String channel) {
    RegisteredHandler<?, ?> registered = handlers.get(channel);
    if (registered == null) {
      return Optional.empty();
    }
    if (registered.once() && !handlers.remove(channel, registered)) {
      return Optional.empty();
    }
    return Optional.of(registered);
  }

  // ---- on / once -------------------------------------------------------------------------------

  public <P> Subscription on(Channel<P, ?> channel, Listener<P> listener) {
    return addListener(channel, listener, false);
  }

  public <P> Subscription once(Channel<P, ?> channel, Listener<P> listener) {
    return addListener(channel, listener, true);
  }

  /** Like {@link #on}, for channels without a record type: the payload is JSON. */
  public Subscription on(String channel, Listener<JsonNode> listener) {
    return addListener(Channel.dynamic(channel, Direction.RENDERER_TO_MAIN), listener, false);
  }

  private <P> Subscription addListener(Channel<P, ?> channel, Listener<P> listener, boolean once) {
    if (channel.direction() != Direction.RENDERER_TO_MAIN) {
      throw new IllegalArgumentException("'" + channel.name() + "' is not a renderer-to-main channel (" + channel.direction() + ")");
    }
    if (Channels.isBuiltIn(channel.name())) {
      throw new IllegalArgumentException("'" + channel.name() + "' is a built-in channel served by the main process");
    }
    RegisteredListener<P> registered = new RegisteredListener<>(channel, listener, once, new AtomicBoolean(true));
    List<RegisteredListener<?>> list = listeners.computeIfAbsent(channel.name(), k -> new CopyOnWriteArrayList<>());
    list.add(registered);
    int max = maxListeners;
    if (max > 0 && list.size() > max && warnedChannels.add(channel.name())) {
      log.warn("Possible listener leak: {} listeners on channel [{}], more than the limit of {}."
          + " Use setMaxListeners() to raise it.", list.size(), channel.name(), max);
    }
    return () -> remove(channel.name(), registered);
  }

  /** The listener count of a channel above which a warning is logged (once per channel); 0 = no limit. */
  public void setMaxListeners(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max listeners must not be negative: " + max);
    }
    maxListeners = max;
  }

  public int getMaxListeners() {
    return maxListeners;
  }

  public void removeListener(String channel, Listener<?> listener) {
    List<RegisteredListener<?>> list = listeners.get(channel);
    if (list != null) {
      list.stream().filter(r -> r.listener() == listener).findFirst().ifPresent(r -> remove(channel, r));
    }
  }

  public void removeAllListeners(String channel) {
    List<RegisteredListener<?>> removed = listeners.remove(channel);
    if (removed != null) {
      removed.forEach(r -> r.active().set(false));
    }
  }

  public void removeAllListeners() {
    List.copyOf(listeners.keySet()).forEach(this::removeAllListeners);
  }

  public int listenerCount(String channel) {
    List<RegisteredListener<?>> list = listeners.get(channel);
    return list == null ? 0 : list.size();
  }

  private void remove(String channel, RegisteredListener<?> registered) {
    registered.active().set(false);
    listeners.computeIfPresent(channel, (k, list) -> {
      list.remove(registered);
      return list.isEmpty() ? null : list;
    });
  }

  /** The listeners of a channel, in registration order; once-listeners are consumed here. */
  public List<RegisteredListener<?>> takeListeners(String channel) {
    List<RegisteredListener<?>> list = listeners.get(channel);
    if (list == null) {
      return List.of();
    }
    List<RegisteredListener<?>> result = new java.util.ArrayList<>(list.size());
    for (RegisteredListener<?> r : list) {
      if (r.once() ? r.active().compareAndSet(true, false) : r.active().get()) {
        if (r.once()) {
          remove(channel, r);
        }
        result.add(r);
      }
    }
    return result;
  }

  // ---- toward renderers --------------------------------------------------------------------------

  /**
   * Pushes a message to one renderer ({@code webContents.send}). NOT_FOUND when it is not connected.
   * From inside a synchronous handler of that renderer's invoke, the push reaches it before the reply
   * (as {@code event.sender.send} in Electron's {@code ipcMain.handle}), in the order the handler made them.
   */
  public <P> void sendTo(String rendererId, Channel<P, ?> channel, P payload) {
    checkOutbound(channel, Direction.MAIN_TO_RENDERER);
    Renderers r = renderers();
    if (!throttled(rendererId, channel, payload)) {
      r.push(rendererId, channel, payload);
    }
  }

  /** Pushes a message to every connected renderer. */
  public <P> void broadcast(Channel<P, ?> channel, P payload) {
    checkOutbound(channel, Direction.BROADCAST);
    Renderers r = renderers();
    if (!throttled(BROADCAST_TARGET, channel, payload)) {
      r.pushToAll(channel, payload);
    }
  }

  // ---- throttling --------------------------------------------------------------------------------

  private static final String BROADCAST_TARGET = "*";

  /** Throttles pushes on a channel to {@code perSecond} per renderer, latest wins. */
  public void throttle(String channel, double perSecond) {
    throttle(channel, perSecond, payload -> "");
  }

  /**
   * Throttles pushes on a channel to {@code perSecond} per renderer and key of the payload (e.g.
   * per window), latest wins; a rate of 0 removes the throttle.
   */
  @SuppressWarnings("unchecked")
  public <P> void throttle(Channel<P, ?> channel, double perSecond, Function<? super P, String> keyOf) {
    throttle(channel.name(), perSecond, (Function<Object, String>) keyOf);
  }

  private void throttle(String channel, double perSecond, Function<Object, String> keyOf) {
    if (perSecond < 0 || Double.isNaN(perSecond)) {
      throw new IllegalArgumentException("Throttle rate of '" + channel + "' must be positive: " + perSecond);
    }
    if (perSecond == 0) {
      throttles.remove(channel);
      return;
    }
    throttles.put(channel, new Throttle(Math.max(1, (long) (1_000_000_000L / perSecond)), keyOf));
  }

  /** True when the push was taken by a throttle (sent later, or replaced by a later one). */
  private boolean throttled(String target, Channel<?, ?> channel, Object payload) {
    Throttle throttle = throttles.get(channel.name());
    if (throttle == null) {
      return false;
    }
    GateKey key = new GateKey(target, channel.name(), String.valueOf(throttle.keyOf().apply(payload)));
    while (true) {
      Gate gate = gates.computeIfAbsent(key, k -> new Gate());
      synchronized (gate) {
        if (gate.dead) {
          continue;
        }
        if (!gate.ticking) {
          // Nothing sent in this interval: this one goes out now, and the interval starts.
          gate.lastSentNanos = nanoClock.getAsLong();
          gate.ticking = true;
          schedule(key, gate, throttle.intervalNanos());
          return false;
        }
        gate.pending = payload;
        gate.hasPending = true;
        gate.channel = channel;
        return true;
      }
    }
  }

  private void schedule(GateKey key, Gate gate, long delayNanos) {
    Scheduler s = scheduler;
    if (s == null) {
      synchronized (this) {
        if (scheduler == null) {
          ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "ipc-main-throttle");
            t.setDaemon(true);
            return t;
          });
          scheduler = (task, delay) -> executor.schedule(task, delay, TimeUnit.NANOSECONDS);
        }
        s = scheduler;
      }
    }
    s.schedule(() -> onIntervalEnd(key, gate), delayNanos);
  }

  private void onIntervalEnd(GateKey key, Gate gate) {
    Object payload;
    Channel<?, ?> channel;
    synchronized (gate) {
      if (!gate.hasPending) {
        // A quiet interval: the stream is idle again and forgotten, so gates stay bounded.
        gate.ticking = false;
        gate.dead = true;
        gates.remove(key, gate);
        return;
      }
      payload = gate.pending;
      channel = gate.channel;
      gate.pending = null;
      gate.hasPending = false;
      gate.lastSentNanos = nanoClock.getAsLong();
      Throttle throttle = throttles.get(key.channel());
      schedule(key, gate, throttle == null ? 0 : throttle.intervalNanos());
    }
    try {
      Renderers r = renderers;
      if (r == null) {
        return;
      }
      if (BROADCAST_TARGET.equals(key.target())) {
        r.pushToAll(channel, payload);
      } else {
        r.push(key.target(), channel, payload);
      }
    } catch (RuntimeException e) {
      // The renderer went away meanwhile: its latest value has nowhere to go.
      log.debug("Throttled push on [{}] to [{}] dropped: {}", key.channel(), key.target(), e.getMessage());
    }
  }

  /** Throttled streams currently tracked (at most one pending value each). */
  int throttleGates() {
    return gates.size();
  }

  /** Invokes a handler that a renderer registered, with the default timeout. */
  public <P, R> CompletionStage<R> invoke(String rendererId, Channel<P, R> channel, P payload) {
    return invoke(rendererId, channel, payload, defaultInvokeTimeout);
  }

  /**
   * Invokes a handler that a renderer registered (main-to-renderer request/response). Fails with
   * TIMEOUT after {@code timeout}, CONNECTION if the renderer goes away, NOT_FOUND if it is not
   * connected or has no handler.
   */
  public <P, R> CompletionStage<R> invoke(String rendererId, Channel<P, R> channel, P payload, Duration timeout) {
    if (channel.direction() != Direction.INVOKE) {
      throw new IllegalArgumentException("'" + channel.name() + "' is not an invoke channel");
    }
    return renderers().invoke(rendererId, channel, payload, timeout);
  }

  /** Ids of the renderers connected right now. */
  public Set<String> connectedRenderers() {
    Renderers r = renderers;
    return r == null ? Set.of() : r.connected();
  }

  private void checkOutbound(Channel<?, ?> channel, Direction expected) {
    if (channel.direction() != expected && channel.direction() != Direction.BROADCAST
        && channel.direction() != Direction.MAIN_TO_RENDERER) {
      throw new IllegalArgumentException("'" + channel.name() + "' is not a " + expected + " channel");
    }
  }

  private Renderers renderers() {
    Renderers r = renderers;
    if (r == null) {
      throw new IpcException(ErrorCode.CONNECTION, "The gateway is not running");
    }
    return r;
  }
}
