package org.browseros.ipc.main.ipc;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Direction;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;

/**
 * The Electron-shaped API for application code in the main process: {@code handle} answers
 * renderers' {@code invoke}s, {@code on} receives their {@code send}s, and {@code sendTo},
 * {@code broadcast} and {@code invoke} reach renderers.
 *
 * <p>Handlers and listeners run on the sending renderer's connection actor, one message at a time
 * per renderer and in the order that renderer sent them (across {@code send} and {@code invoke});
 * messages of different renderers may run concurrently, so handler code must be thread-safe. A
 * handler that returns a {@link CompletionStage} does not hold up later messages.
 */
public final class IpcMain {

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

  private final Map<String, RegisteredHandler<?, ?>> handlers = new ConcurrentHashMap<>();
  private final Map<String, List<RegisteredListener<?>>> listeners = new ConcurrentHashMap<>();
  private final Duration defaultInvokeTimeout;
  private volatile Renderers renderers;

  public IpcMain(Duration defaultInvokeTimeout) {
    this.defaultInvokeTimeout = defaultInvokeTimeout;
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
    listeners.computeIfAbsent(channel.name(), k -> new CopyOnWriteArrayList<>()).add(registered);
    return () -> remove(channel.name(), registered);
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

  /** Pushes a message to one renderer ({@code webContents.send}). NOT_FOUND when it is not connected. */
  public <P> void sendTo(String rendererId, Channel<P, ?> channel, P payload) {
    checkOutbound(channel, Direction.MAIN_TO_RENDERER);
    renderers().push(rendererId, channel, payload);
  }

  /** Pushes a message to every connected renderer. */
  public <P> void broadcast(Channel<P, ?> channel, P payload) {
    checkOutbound(channel, Direction.BROADCAST);
    renderers().pushToAll(channel, payload);
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
