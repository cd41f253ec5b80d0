package org.browseros.ipc.renderer;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.Welcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The renderer's side of IPC, shaped like Electron's {@code ipcRenderer}: {@code invoke} a
 * channel and get its reply, {@code send} one-way messages, listen with {@code on}/{@code once},
 * answer main's invokes with {@code handle}, and read the synchronized {@link #state()}.
 *
 * <p>Thread-safe. Listeners run on the client actor's thread, in arrival order, and must not
 * block; handlers run on the actor system's dispatcher and may return a {@link CompletionStage}.
 * On the data plane an invoke's stage may complete on the socket's reader thread: what a caller
 * chains on it without an executor ({@code thenApply}, not {@code thenApplyAsync}) must not block
 * either. Invokes and sends issued by one thread reach main in the order issued.
 * Failed calls fail with an {@link IpcException} (possibly wrapped in a {@link CompletionException})
 * carrying a typed {@link ErrorCode}: use {@link IpcException#errorOf} to read it.
 */
public final class IpcRenderer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IpcRenderer.class);
  private static final AtomicLong CLIENTS = new AtomicLong();
  /** Extra time the ask gets over the client's own timer, which is what normally answers. */
  private static final Duration ASK_MARGIN = Duration.ofSeconds(2);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

  private record Listener(Channel<?, ?> channel, Consumer<Object> consumer, boolean once, AtomicBoolean done) {}

  private final ActorSystem<?> system;
  private final ConnectOptions options;
  private final StateReplica replica = new StateReplica();
  private final Map<String, CopyOnWriteArrayList<Listener>> listeners = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Consumer<Envelope>> envelopeListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<IpcError>> errorListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Runnable> disconnectListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Consumer<Boolean>> reconnectListeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean reconnecting = new AtomicBoolean();
  private final Map<String, Function<byte[], CompletionStage<byte[]>>> handlers = new ConcurrentHashMap<>();
  private final AtomicBoolean open = new AtomicBoolean(true);
  private final ClientEvents events = new ClientEvents();
  // On the data plane, invokes and sends skip the client actor (DirectLane).
  private final DirectLane lane;
  // invokeSync: how long a waiting caller spins before it parks (browseros.renderer.invoke-sync-spin).
  private final long syncSpinNanos;
  private volatile ActorRef<RendererClient.Command> client;
  private volatile Welcome welcome;

  private IpcRenderer(ActorSystem<?> system, ConnectOptions options) {
    this.system = system;
    this.options = options;
    this.lane = new DirectLane(system.scheduler(), system.executionContext(), events,
        spin(system.settings().config(), "browseros.renderer.data-plane.reader-poll"));
    this.syncSpinNanos = syncSpin(system.settings().config());
  }

  /** browseros.renderer.invoke-sync-spin; none on a single processor, where spinning keeps the reply's thread off it. */
  static long syncSpin(com.typesafe.config.Config config) {
    return spin(config, "browseros.renderer.invoke-sync-spin");
  }

  /** A spin or poll duration in nanoseconds; none on a single processor, where it keeps the reply's thread off it. */
  private static long spin(com.typesafe.config.Config config, String path) {
    long nanos = config.hasPath(path) ? config.getDuration(path).toNanos() : 0;
    return Runtime.getRuntime().availableProcessors() > 1 ? Math.max(0, nanos) : 0;
  }

  /**
   * Connects to main: completes once the gateway welcomed this renderer, or fails with an
   * {@link IpcException} (the gateway's refusal, or CONNECTION when it did not answer in time).
   */
  public static CompletionStage<IpcRenderer> connect(ActorSystem<?> system, ConnectOptions options) {
    return connect(system, options, renderer -> { });
  }

  /**
   * Connects as {@link #connect(ActorSystem, ConnectOptions)} does, once {@code setUp} has run on the
   * new renderer. What it registers ({@code handle}, {@code on}, state listeners) is in place before
   * the Hello, so main's first invoke or push after it sees this renderer connected finds it; a
   * handler registered after {@code connect} completes can miss an invoke main sends on connecting
   * (it gets NOT_FOUND). This is what Electron's preload script is for. {@code setUp} must not invoke
   * or send (they fail with CONNECTION: nothing is connected yet) nor read the identity, which comes
   * with the Welcome. If it throws, the stage fails with that exception and no Hello is sent.
   */
  public static CompletionStage<IpcRenderer> connect(
      ActorSystem<?> system, ConnectOptions options, Consumer<? super IpcRenderer> setUp) {
    IpcRenderer renderer = new IpcRenderer(system, options);
    // Until the client exists, invoke and send fail with CONNECTION instead of reaching for it.
    renderer.open.set(false);
    try {
      setUp.accept(renderer);
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
    renderer.open.set(true);
    renderer.client = system.systemActorOf(
        RendererClient.create(options, renderer.replica, renderer.events, renderer.lane),
        "ipc-renderer-" + CLIENTS.incrementAndGet(),
        Props.empty());
    return AskPattern.<RendererClient.Command, Welcome>askWithStatus(
            renderer.client,
            RendererClient.Connect::new,
            options.handshakeTimeout().plus(ASK_MARGIN),
            system.scheduler())
        .handle((welcome, failure) -> {
          if (failure != null) {
            renderer.open.set(false);
            throw new CompletionException(asIpc(failure, ErrorCode.CONNECTION));
          }
          renderer.welcome = welcome;
          return renderer;
        });
  }

  // --- invoke and send -------------------------------------------------------------------------

  /** Invokes a channel in main with the default timeout; completes with its reply. */
  public <P, R> CompletionStage<R> invoke(Channel<P, R> channel, P payload) {
    return invoke(channel, payload, options.invokeTimeout());
  }

  /** Invokes a channel in main; fails with TIMEOUT when no reply came within {@code timeout}. */
  public <P, R> CompletionStage<R> invoke(Channel<P, R> channel, P payload, Duration timeout) {
    return invoke(channel, payload, timeout, true);
  }

  /** {@code readerPolls}: the data plane's reader polls for the reply (browseros.renderer.data-plane.reader-poll). */
  private <P, R> CompletionStage<R> invoke(Channel<P, R> channel, P payload, Duration timeout, boolean readerPolls) {
    if (!channel.isInvoke()) {
      return CompletableFuture.failedStage(
          new IpcException(ErrorCode.VALIDATION, "'" + channel.name() + "' is not an invoke channel"));
    }
    byte[] bytes;
    try {
      bytes = PayloadCodec.encode(payload);
    } catch (IpcException e) {
      return CompletableFuture.failedStage(e);
    }
    return invokeRaw(channel.name(), bytes, timeout, channel.isIdempotent(), readerPolls)
        .thenApply(reply -> PayloadCodec.decode(reply, channel.replyType()));
  }

  /**
   * Invokes a channel in main and waits on the calling thread for its reply, as Electron's
   * {@code ipcRenderer.sendSync} does; {@link #invoke} is the one to use where the caller can go on.
   * The caller first spins for up to {@code browseros.renderer.invoke-sync-spin} (a reply on the
   * local data plane usually comes within it), then parks until the reply or the timeout: parked,
   * it is woken by the thread that reads the reply, and on a VM that wake-up of an idle processor
   * cost more than the round trip itself (docs/PERFORMANCE.md, "invokeSync").
   *
   * <p>Not from a listener, a handler or a callback of an invoke's stage: those run on the threads
   * that deliver replies, which would then wait for themselves. On the data plane's reader thread it
   * fails at once with INTERNAL (waiting there stalls the socket, heartbeats included, and main
   * drops the connection); on the others such a call waits for its timeout.
   *
   * @throws IpcException as {@link #invoke} fails: VALIDATION, PERMISSION, TIMEOUT, CONNECTION...;
   *     INTERNAL when the thread was interrupted (its interrupt flag is set again)
   */
  public <P, R> R invokeSync(Channel<P, R> channel, P payload) {
    return invokeSync(channel, payload, options.invokeTimeout());
  }

  /** As {@link #invokeSync(Channel, Object)}, failing with TIMEOUT when no reply came within {@code timeout}. */
  public <P, R> R invokeSync(Channel<P, R> channel, P payload, Duration timeout) {
    if (lane.onReaderThread()) {
      throw new IpcException(ErrorCode.INTERNAL,
          "invokeSync on the data plane's reader thread would wait for the reply it is to read; use invoke");
    }
    // The caller spins, not the reader too: two spinning threads would leave main's threads one processor of two.
    // While it spins it reads the socket itself: the reply then needs no wake-up of the reader thread.
    CompletableFuture<R> reply = invoke(channel, payload, timeout, false).toCompletableFuture();
    for (long start = System.nanoTime(); !reply.isDone() && System.nanoTime() - start < syncSpinNanos; ) {
      lane.readNow();
      if (!reply.isDone()) {
        Thread.onSpinWait();
      }
    }
    try {
      // invoke fails the stage with TIMEOUT itself; this bound only guards against a stage never completed.
      return reply.get(timeout.plus(ASK_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw asIpc(e.getCause(), ErrorCode.INTERNAL);
    } catch (TimeoutException e) {
      throw new IpcException(ErrorCode.TIMEOUT, "No answer from main in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IpcException(ErrorCode.INTERNAL, "Interrupted while waiting for the reply of '" + channel.name() + "'");
    }
  }

  /**
   * Invokes a channel by name with a JSON payload, which goes to main as is (as CBOR of the tree):
   * main's checks decide. Completes with the reply as JSON. For consoles and scripts.
   */
  public CompletionStage<JsonNode> invoke(String channel, JsonNode payload) {
    return invoke(channel, payload, options.invokeTimeout());
  }

  public CompletionStage<JsonNode> invoke(String channel, JsonNode payload, Duration timeout) {
    byte[] bytes;
    try {
      bytes = PayloadCodec.encode(payload);
    } catch (IpcException e) {
      return CompletableFuture.failedStage(e);
    }
    boolean idempotent = Channels.builtIn(channel).map(Channel::isIdempotent).orElse(false);
    return invokeRaw(channel, bytes, timeout, idempotent, true).thenApply(PayloadCodec::toJson);
  }

  private CompletionStage<byte[]> invokeRaw(String channel, byte[] payload, Duration timeout, boolean idempotent,
      boolean readerPolls) {
    Objects.requireNonNull(timeout, "timeout");
    if (!open.get()) {
      return CompletableFuture.failedStage(new IpcException(ErrorCode.CONNECTION, "Not connected to main"));
    }
    Envelope request = Envelope.command(channel, payload);
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    if (lane.tryInvoke(request, timeout, idempotent, result, readerPolls)) {
      return result;
    }
    lane.queue();
    client.tell(new RendererClient.Invoke(request, timeout, result, idempotent));
    // The client answers timeouts itself; this one ends a call the client never got (it stopped).
    Cancellable guard = system.scheduler().scheduleOnce(timeout.plus(ASK_MARGIN),
        () -> result.completeExceptionally(open.get()
            ? new IpcException(ErrorCode.TIMEOUT, "No answer from main in time")
            : new IpcException(ErrorCode.CONNECTION, "Not connected to main")),
        system.executionContext());
    result.whenComplete((reply, failure) -> guard.cancel());
    return result;
  }

  /** Sends a one-way message to main. A refusal from main goes to {@link #onError} listeners. */
  public <P> void send(Channel<P, ?> channel, P payload) {
    sendRaw(channel.name(), PayloadCodec.encode(payload));
  }

  /** Sends a one-way message with a JSON payload, unchecked here (main checks it). */
  public void send(String channel, JsonNode payload) {
    sendRaw(channel, PayloadCodec.encode(payload));
  }

  private void sendRaw(String channel, byte[] payload) {
    if (!open.get()) {
      throw new IpcException(ErrorCode.CONNECTION, "Not connected to main");
    }
    Envelope event = Envelope.of(channel, MessageType.EVENT, payload);
    if (!lane.trySend(event)) {
      lane.queue();
      client.tell(new RendererClient.Send(event));
    }
  }

  // --- listeners -------------------------------------------------------------------------------

  /** Calls {@code listener} with each message main pushes on the channel, decoded as its payload type. */
  public <P> Subscription on(Channel<P, ?> channel, Consumer<P> listener) {
    return addListener(channel, listener, false);
  }

  /** Like {@link #on} but for the next message only. */
  public <P> Subscription once(Channel<P, ?> channel, Consumer<P> listener) {
    return addListener(channel, listener, true);
  }

  /** Listens on a channel by name, with payloads as JSON. */
  public Subscription on(String channel, Consumer<JsonNode> listener) {
    return addListener(Channel.dynamic(channel, org.browseros.ipc.protocol.Direction.BROADCAST), listener, false);
  }

  @SuppressWarnings("unchecked")
  private <P> Subscription addListener(Channel<P, ?> channel, Consumer<P> listener, boolean once) {
    Listener l = new Listener(channel, (Consumer<Object>) listener, once, new AtomicBoolean());
    listeners.computeIfAbsent(channel.name(), k -> new CopyOnWriteArrayList<>()).add(l);
    return () -> {
      List<Listener> list = listeners.get(channel.name());
      if (list != null) {
        list.remove(l);
      }
    };
  }

  public void removeListener(Subscription subscription) {
    subscription.unsubscribe();
  }

  public void removeAllListeners(String channel) {
    listeners.remove(channel);
  }

  /** Calls {@code listener} with every inbound envelope (replies, pushes, state, errors), raw. */
  public Subscription onEnvelope(Consumer<Envelope> listener) {
    envelopeListeners.add(listener);
    return () -> envelopeListeners.remove(listener);
  }

  /** Calls {@code listener} with errors main sends about one-way messages. */
  public Subscription onError(Consumer<IpcError> listener) {
    errorListeners.add(listener);
    return () -> errorListeners.remove(listener);
  }

  /**
   * Runs {@code listener} once the connection to main is lost for good (not after {@link #close()}):
   * when it could not be resumed within {@code browseros.renderer.reconnect.give-up-after}.
   */
  public Subscription onDisconnect(Runnable listener) {
    disconnectListeners.add(listener);
    return () -> disconnectListeners.remove(listener);
  }

  /**
   * Calls {@code listener} each time a main welcomes this renderer back after a lost connection,
   * with true when it is the same main instance, false when main restarted.
   */
  public Subscription onReconnect(Consumer<Boolean> listener) {
    reconnectListeners.add(listener);
    return () -> reconnectListeners.remove(listener);
  }

  // --- handlers --------------------------------------------------------------------------------

  /**
   * Answers main's invokes on the channel. The handler returns the reply, or a
   * {@link CompletionStage} of it; if it throws (or the stage fails) main gets an error with the
   * exception's message (and its code, for an {@link IpcException}). Replaces any earlier handler.
   */
  public <P, R> void handle(Channel<P, R> channel, Function<? super P, ?> handler) {
    Objects.requireNonNull(handler, "handler");
    handlers.put(channel.name(), bytes -> {
      P payload = PayloadCodec.decode(bytes, channel.payloadType());
      Object result = handler.apply(payload);
      CompletionStage<?> stage =
          result instanceof CompletionStage<?> s ? s : CompletableFuture.completedFuture(result);
      return stage.thenApply(PayloadCodec::encode);
    });
  }

  public void removeHandler(Channel<?, ?> channel) {
    handlers.remove(channel.name());
  }

  public void removeHandler(String channel) {
    handlers.remove(channel);
  }

  // --- state and identity ----------------------------------------------------------------------

  public StateReplica state() {
    return replica;
  }

  /** The id main knows this renderer by (main assigns one to consoles). */
  public String rendererId() {
    return welcome.rendererId();
  }

  public String capability() {
    return welcome.capability();
  }

  public String profileId() {
    return welcome.profileId();
  }

  /** True until the connection is lost for good or closed; also while reconnecting. */
  public boolean isConnected() {
    return open.get();
  }

  /** True while the link to main is down and the client tries to resume it. */
  public boolean isReconnecting() {
    return reconnecting.get();
  }

  /** The id of the main instance that last welcomed this renderer (random per main start), or null. */
  public String mainInstanceId() {
    return welcome.mainInstanceId();
  }

  public ConnectOptions options() {
    return options;
  }

  // --- shutdown --------------------------------------------------------------------------------

  /** Says Goodbye to main and stops the client; pending invokes fail with CONNECTION. */
  public CompletionStage<Done> closeAsync() {
    if (!open.compareAndSet(true, false)) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return AskPattern.<RendererClient.Command, Done>ask(
            client, replyTo -> new RendererClient.Close("closed", replyTo), CLOSE_TIMEOUT, system.scheduler())
        .exceptionally(failure -> Done.getInstance());
  }

  /** {@link #closeAsync()}, waiting (boundedly) until the Goodbye is on its way. */
  @Override
  public void close() {
    try {
      closeAsync().toCompletableFuture().get(CLOSE_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      log.debug("Close did not complete cleanly", e);
    }
  }

  private static IpcException asIpc(Throwable failure, ErrorCode fallback) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof IpcException e) {
      return e;
    }
    String message = cause instanceof TimeoutException ? "No answer from main in time" : String.valueOf(cause.getMessage());
    return new IpcException(fallback, message);
  }

  /** What the client actor reports; runs on its thread, so listener failures are contained here. */
  private final class ClientEvents implements RendererClient.Events {
    @Override
    public void envelope(Envelope envelope) {
      for (Consumer<Envelope> l : envelopeListeners) {
        safely(() -> l.accept(envelope), envelope.channel());
      }
    }

    @Override
    public boolean observesEnvelopes() {
      return !envelopeListeners.isEmpty();
    }

    @Override
    public void push(Envelope envelope) {
      List<Listener> list = listeners.get(envelope.channel());
      if (list == null || list.isEmpty()) {
        return;
      }
      for (Listener l : list) {
        if (l.once() && !l.done().compareAndSet(false, true)) {
          continue;
        }
        if (l.once()) {
          list.remove(l);
        }
        Object payload;
        try {
          Class<?> type = l.channel().payloadType();
          payload = type == JsonNode.class ? PayloadCodec.toJson(envelope.payload()) : PayloadCodec.decode(envelope.payload(), type);
        } catch (IpcException e) {
          log.warn("Dropped a message on [{}] for a listener: {}", envelope.channel(), e.getMessage());
          continue;
        }
        safely(() -> l.consumer().accept(payload), envelope.channel());
      }
    }

    @Override
    public void error(IpcError error) {
      for (Consumer<IpcError> l : errorListeners) {
        safely(() -> l.accept(error), error.channel());
      }
    }

    @Override
    public Optional<Function<byte[], CompletionStage<byte[]>>> handler(String channel) {
      return Optional.ofNullable(handlers.get(channel));
    }

    @Override
    public void reconnecting(IpcError reason) {
      reconnecting.set(true);
    }

    @Override
    public void reconnected(Welcome again, boolean sameMain) {
      welcome = again;
      reconnecting.set(false);
      for (Consumer<Boolean> l : reconnectListeners) {
        safely(() -> l.accept(sameMain), "reconnect");
      }
    }

    @Override
    public void disconnected(IpcError reason) {
      reconnecting.set(false);
      open.set(false);
      for (Runnable l : disconnectListeners) {
        safely(l, "disconnect");
      }
    }

    private void safely(Runnable r, String channel) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("A listener on [{}] failed", channel, e);
      }
    }
  }
}
