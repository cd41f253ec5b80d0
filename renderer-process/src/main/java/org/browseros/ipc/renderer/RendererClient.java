package org.browseros.ipc.renderer;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.parts.Reassembly;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.protocol.state.StateResync;
import org.browseros.ipc.protocol.state.StateSync;

/**
 * A renderer's end of its connection to main: the handshake with the gateway, then envelopes,
 * heartbeats and the state replica. {@link IpcRenderer} is the thread-safe API over it.
 *
 * <p>Main sends to this actor through a message adapter (the {@code renderer} of {@link Hello}),
 * so that wire messages ({@link ToRenderer}) and this actor's own commands stay apart.
 *
 * <p>Phases: {@link Phase#HANDSHAKE} until the first Welcome, then {@link Phase#CONNECTED}. When
 * heartbeat acks stop and main's Welcome carried a resume token, the client goes
 * {@link Phase#RECONNECTING}: it re-sends Hello with that token (backoff with jitter) until a main
 * welcomes it again or {@code reconnect.give-up-after} passes. Invokes issued meanwhile wait
 * (bounded); after the Welcome, requests that never left are sent, idempotent ones in flight are
 * re-sent (bounded attempts, jittered delay), and other in-flight ones are re-sent under the same id
 * only to the same main instance (which drops duplicates): to a restarted main they fail with
 * CONNECTION, their outcome unknown. Every invoke still ends by its own timeout at the latest.
 */
public final class RendererClient extends AbstractBehavior<RendererClient.Command> {

  public interface Command {}

  /** Starts the handshake; answered with the {@link Welcome}, or an {@link IpcException} (refused, CONNECTION). */
  public record Connect(ActorRef<StatusReply<Welcome>> replyTo) implements Command {}

  /**
   * Sends a request envelope; {@code result} completes with the reply's payload bytes or an
   * {@link IpcException}. A future rather than a {@code replyTo}: on the data plane the socket's
   * reader completes it, with no hop through this actor ({@link DirectLane}). Whoever sends this
   * calls {@link DirectLane#queue} first (this actor calls {@link DirectLane#handled}).
   *
   * @param idempotent re-sent by itself after a lost connection, even to a restarted main
   */
  public record Invoke(Envelope request, Duration timeout, CompletableFuture<byte[]> result, boolean idempotent)
      implements Command {}

  /** Sends a one-way envelope (the sender called {@link DirectLane#queue} first). */
  public record Send(Envelope event) implements Command {}

  /** Says Goodbye to main and stops; pending invokes fail with CONNECTION. */
  public record Close(String reason, ActorRef<Done> replyTo) implements Command {}

  private record FromMain(ToRenderer message) implements Command {}

  private enum HelloTick implements Command { INSTANCE }

  private enum HandshakeTimedOut implements Command { INSTANCE }

  private enum HeartbeatTick implements Command { INSTANCE }

  private enum ReconnectTick implements Command { INSTANCE }

  private enum ReconnectGiveUp implements Command { INSTANCE }

  private record ResendDue(String id) implements Command {}

  /** Where the client is in its connection's life. */
  enum Phase {
    /** Sending Hello until the first Welcome (or refusal, or handshake timeout). */
    HANDSHAKE,
    /** Welcomed: envelopes flow, heartbeats run. */
    CONNECTED,
    /** Heartbeat acks stopped: re-sending Hello with the resume token until welcomed again. */
    RECONNECTING
  }

  private record HandlerFinished(Envelope request, byte[] reply, Throwable failure) implements Command {}

  /**
   * What the client hands to its owner. Called on the client's thread, so implementations must be
   * quick and must not block.
   */
  public interface Events {
    /** Every inbound envelope, before anything else happens to it. */
    void envelope(Envelope envelope);

    /** Whether {@link #envelope} wants every envelope (else replies may skip the actor, and it). */
    default boolean observesEnvelopes() {
      return true;
    }

    /** A push for channel listeners: EVENT, SYSTEM_EVENT and (applied or not) STATE_UPDATE. */
    void push(Envelope envelope);

    /** An error main sent about a one-way message (or one no request waits for). */
    void error(IpcError error);

    /** The handler for a main-to-renderer invoke: request payload in, reply payload out. */
    Optional<Function<byte[], CompletionStage<byte[]>>> handler(String channel);

    /** The connection is lost (no heartbeat acks, or reconnecting gave up); the client has stopped. */
    void disconnected(IpcError reason);

    /** Heartbeat acks stopped; the client is trying to resume the connection. */
    default void reconnecting(IpcError reason) {}

    /** A main welcomed the client again after {@link #reconnecting}. */
    default void reconnected(Welcome welcome, boolean sameMain) {}
  }

  private static final Duration FIRST_HELLO_RETRY = Duration.ofMillis(500);
  private static final Duration MAX_HELLO_RETRY = Duration.ofSeconds(2);
  private static final long DEFAULT_HEARTBEAT_MILLIS = 1000;
  /**
   * On the data plane, one heartbeat in this many also goes over Artery: once a minute at the
   * default 1 s interval, well within Artery's stop-idle-outbound-after (5 min).
   */
  static final long ARTERY_HEARTBEAT_EVERY = 60;
  /** Envelopes between progress reports; well under main's gateway flow-control soft limit. */
  static final int PROGRESS_EVERY = 128;

  private final TimerScheduler<Command> timers;
  private final ConnectOptions options;
  // Over Artery (in parts above half a frame); larger is refused here with TOO_LARGE, not sent.
  private final long maxPayloadBytes;
  private final StateReplica replica;
  private final Events events;
  private final ActorRef<ToRenderer> self;
  // The invokes in flight (in issue order for re-sends after a reconnect) and the callers' direct way.
  private final DirectLane lane;
  private final MainLink link;
  private Reassembly parts;

  private ActorRef<StatusReply<Welcome>> connectReplyTo;
  private Duration helloBackoff = FIRST_HELLO_RETRY;
  private int helloAttempts;
  private Welcome welcome;
  private Phase phase = Phase.HANDSHAKE;
  private int reconnectAttempts;
  private ActorRef<ToMain> connection;
  private long heartbeatSeq;
  private int unackedHeartbeats;

  /** @param lane shared with the {@link IpcRenderer} that sends to this client (made with the same {@code events}) */
  public static Behavior<Command> create(ConnectOptions options, StateReplica replica, Events events, DirectLane lane) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RendererClient(ctx, timers, options, replica, events, lane)));
  }

  private RendererClient(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ConnectOptions options,
      StateReplica replica,
      Events events,
      DirectLane lane) {
    super(context);
    this.timers = timers;
    this.options = options;
    this.maxPayloadBytes = context.getSystem().settings().config().getBytes("browseros.renderer.max-payload-size");
    this.replica = replica;
    this.events = events;
    this.self = context.messageAdapter(ToRenderer.class, FromMain::new);
    this.lane = lane;
    this.link = new MainLink(context.getSelf(), lane, context.getSystem().settings().config());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Connect.class, this::onConnect)
        .onMessage(HelloTick.class, this::onHelloTick)
        .onMessage(HandshakeTimedOut.class, this::onHandshakeTimedOut)
        .onMessage(FromMain.class, this::onFromMain)
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(ReconnectTick.class, this::onReconnectTick)
        .onMessage(ReconnectGiveUp.class, this::onReconnectGiveUp)
        .onMessage(ResendDue.class, this::onResendDue)
        .onMessage(Send.class, this::onSend)
        .onMessage(HandlerFinished.class, this::onHandlerFinished)
        .onMessage(HeartbeatTick.class, this::onHeartbeatTick)
        .onMessage(Close.class, this::onClose)
        .onMessage(MainLink.SocketEnvelope.class, this::onSocketEnvelope)
        .onMessage(MainLink.SocketClosed.class, this::onSocketClosed)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  // --- handshake -------------------------------------------------------------------------------

  private Behavior<Command> onConnect(Connect command) {
    if (connectReplyTo != null || welcome != null) {
      command.replyTo().tell(StatusReply.error(new IpcException(ErrorCode.CONFLICT, "Already connecting")));
      return this;
    }
    connectReplyTo = command.replyTo();
    timers.startSingleTimer(HandshakeTimedOut.INSTANCE, HandshakeTimedOut.INSTANCE, options.handshakeTimeout());
    sendHello();
    return this;
  }

  private Behavior<Command> onHelloTick(HelloTick tick) {
    if (welcome == null) {
      sendHello();
    }
    return this;
  }

  private void sendHello() {
    helloAttempts++;
    getContext().getLog().debug("Hello #{} to [{}]", helloAttempts, options.gatewayPath());
    tellGateway(options.secret());
    // Artery drops what it sends before the association is up, and main may not be listening yet.
    timers.startSingleTimer(HelloTick.INSTANCE, HelloTick.INSTANCE, helloBackoff);
    helloBackoff = helloBackoff.multipliedBy(2).compareTo(MAX_HELLO_RETRY) > 0 ? MAX_HELLO_RETRY : helloBackoff.multipliedBy(2);
  }

  private Behavior<Command> onHandshakeTimedOut(HandshakeTimedOut timeout) {
    if (welcome != null) {
      return this;
    }
    getContext().getLog().warn("No answer from gateway [{}] after {} Hello(s)", options.gatewayPath(), helloAttempts);
    failConnect(new IpcException(ErrorCode.CONNECTION,
        "No answer from " + options.gatewayPath() + " within " + options.handshakeTimeout().toMillis() + " ms"));
    return Behaviors.stopped();
  }

  private void tellGateway(String secret) {
    ActorSelection gateway = Adapter.toClassic(getContext().getSystem()).actorSelection(options.gatewayPath());
    gateway.tell(
        new Hello(options.rendererId(), secret, self, Hello.PROTOCOL_VERSION),
        org.apache.pekko.actor.ActorRef.noSender());
  }

  private Behavior<Command> onWelcome(Welcome w) {
    if (phase == Phase.RECONNECTING) {
      return onWelcomeBack(w);
    }
    if (welcome != null) {
      getContext().getLog().debug("Ignoring a second Welcome for [{}]", w.rendererId());
      return this;
    }
    timers.cancel(HelloTick.INSTANCE);
    timers.cancel(HandshakeTimedOut.INSTANCE);
    connected(w);
    getContext().getLog().info("Connected as [{}] (capability {}, profile {})", w.rendererId(), w.capability(), w.profileId());
    if (connectReplyTo != null) {
      connectReplyTo.tell(StatusReply.success(w));
      connectReplyTo = null;
    }
    return this;
  }

  /** A Welcome, first or after a resume: a new connection on main's side, reached over Artery first. */
  private void connected(Welcome w) {
    welcome = w;
    // Parts of an envelope from the connection before belong to nothing now.
    parts = Reassembly.overArtery(maxPayloadBytes, getContext().getSystem().settings().config());
    phase = Phase.CONNECTED;
    connection = w.connection();
    link.welcomed(connection);
    unackedHeartbeats = 0;
    // A new connection on main's side counts what it sent from zero.
    lane.connected(connection);
    long interval = w.heartbeatIntervalMillis() > 0 ? w.heartbeatIntervalMillis() : DEFAULT_HEARTBEAT_MILLIS;
    // Fixed delay, not fixed rate: after a stall (GC, SIGSTOP) missed ticks must not fire in a burst
    // and count as several unanswered heartbeats at once.
    timers.startTimerWithFixedDelay(HeartbeatTick.INSTANCE, HeartbeatTick.INSTANCE, Duration.ofMillis(interval));
  }

  private Behavior<Command> onRefused(Refused refused) {
    if (phase == Phase.RECONNECTING) {
      if (refused.error().code() != ErrorCode.PERMISSION) {
        // A main still starting may fail to check the token in time: the next Hello tries again.
        getContext().getLog().info("Resume Hello not accepted yet: {} {}", refused.error().code(), refused.error().message());
        return this;
      }
      // The resume token is not (or no longer) valid there: main does not take this renderer back.
      IpcError reason = IpcError.of(ErrorCode.CONNECTION, "Main refused to resume the connection: "
          + refused.error().code() + " " + refused.error().message());
      getContext().getLog().warn("[{}] {}", welcome.rendererId(), reason.message());
      return giveUp(reason);
    }
    if (welcome != null) {
      // A retried Hello may be refused as a reused secret after the first one was welcomed.
      getContext().getLog().debug("Ignoring Refused after Welcome: {}", refused.error().message());
      return this;
    }
    getContext().getLog().warn("Gateway refused the handshake: {} {}", refused.error().code(), refused.error().message());
    failConnect(new IpcException(refused.error()));
    return Behaviors.stopped();
  }

  private void failConnect(IpcException failure) {
    if (connectReplyTo != null) {
      connectReplyTo.tell(StatusReply.error(failure));
      connectReplyTo = null;
    }
  }

  // --- reconnecting ----------------------------------------------------------------------------

  private boolean canResume() {
    return options.reconnect().enabled() && welcome != null && welcome.resumeToken() != null;
  }

  private void startReconnecting(IpcError reason) {
    getContext().getLog().warn("[{}] {}; reconnecting for up to [{}] ms", welcome.rendererId(), reason.message(),
        options.reconnect().giveUpAfter().toMillis());
    phase = Phase.RECONNECTING;
    connection = null;
    link.reset();
    reconnectAttempts = 0;
    timers.cancel(HeartbeatTick.INSTANCE);
    timers.startSingleTimer(ReconnectGiveUp.INSTANCE, ReconnectGiveUp.INSTANCE, options.reconnect().giveUpAfter());
    events.reconnecting(reason);
    sendResumeHello();
  }

  private void sendResumeHello() {
    reconnectAttempts++;
    getContext().getLog().debug("Resume Hello #{} to [{}]", reconnectAttempts, options.gatewayPath());
    tellGateway(welcome.resumeToken());
    timers.startSingleTimer(ReconnectTick.INSTANCE, ReconnectTick.INSTANCE,
        options.reconnect().backoff(reconnectAttempts - 1, ThreadLocalRandom.current().nextDouble()));
  }

  private Behavior<Command> onReconnectTick(ReconnectTick tick) {
    if (phase == Phase.RECONNECTING) {
      sendResumeHello();
    }
    return this;
  }

  private Behavior<Command> onReconnectGiveUp(ReconnectGiveUp giveUp) {
    if (phase != Phase.RECONNECTING) {
      return this;
    }
    return giveUp(IpcError.of(ErrorCode.CONNECTION, "Connection to main lost: no main took this renderer back within "
        + options.reconnect().giveUpAfter().toMillis() + " ms (" + reconnectAttempts + " Hello(s))"));
  }

  private Behavior<Command> giveUp(IpcError reason) {
    getContext().getLog().warn("[{}] giving up: {}", welcome.rendererId(), reason.message());
    failPending(reason);
    events.disconnected(reason);
    return Behaviors.stopped();
  }

  private Behavior<Command> onWelcomeBack(Welcome w) {
    boolean sameMain = w.mainInstanceId() != null && w.mainInstanceId().equals(welcome.mainInstanceId());
    timers.cancel(ReconnectTick.INSTANCE);
    timers.cancel(ReconnectGiveUp.INSTANCE);
    connected(w);
    // The new connection sends a snapshot next; a restarted main's versions may be lower than ours.
    replica.expectSnapshot();
    getContext().getLog().info("Reconnected as [{}] after {} Hello(s) to {} main", w.rendererId(), reconnectAttempts,
        sameMain ? "the same" : "a restarted");
    for (DirectLane.Call p : lane.inIssueOrder()) {
      String id = p.id();
      if (p.sends == 0) {
        send(p);
      } else if (p.idempotent) {
        if (p.sends >= options.reconnect().maxAttempts()) {
          fail(id, IpcError.of(ErrorCode.CONNECTION, "Connection to main lost; gave up after " + p.sends + " attempts"));
        } else {
          // Spread the retries of many renderers coming back at once.
          timers.startSingleTimer(resendKey(id), new ResendDue(id),
              options.reconnect().backoff(p.sends - 1, ThreadLocalRandom.current().nextDouble()));
        }
      } else if (sameMain) {
        // The same id: main answers a duplicate from its request log, never runs it twice.
        send(p);
      } else {
        fail(id, IpcError.of(ErrorCode.CONNECTION,
            "Outcome unknown: main restarted while the request was in flight"));
      }
    }
    events.reconnected(w, sameMain);
    return this;
  }

  private Behavior<Command> onResendDue(ResendDue due) {
    DirectLane.Call p = lane.get(due.id());
    if (p != null && phase == Phase.CONNECTED) {
      send(p);
    }
    return this;
  }

  private void send(DirectLane.Call p) {
    if (p.request.payload().length > payloadLimit()) {
      // Queued for the data plane, but a new session starts on Artery, whose frames it would exceed.
      fail(p.id(), IpcError.of(ErrorCode.TOO_LARGE, "Payload of " + p.request.payload().length
          + " bytes exceeds the limit of " + payloadLimit() + " bytes of the connection in use"));
      return;
    }
    p.sends++;
    link.tell(p.request);
  }

  private void fail(String id, IpcError reason) {
    timers.cancel(resendKey(id));
    lane.fail(id, reason);
  }

  private static String resendKey(String id) {
    return "resend-" + id;
  }

  // --- inbound ---------------------------------------------------------------------------------

  private Behavior<Command> onFromMain(FromMain wrapped) {
    ToRenderer message = wrapped.message();
    if (message instanceof Welcome w) {
      return onWelcome(w);
    }
    if (message instanceof Refused r) {
      return onRefused(r);
    }
    if (message instanceof HeartbeatAck) {
      unackedHeartbeats = 0;
      return this;
    }
    if (message instanceof EnvelopePart part) {
      return onEnvelopePart(part);
    }
    if (message instanceof Envelope e) {
      if (welcome == null) {
        getContext().getLog().warn("Envelope on [{}] before Welcome: dropped", e.channel());
        return this;
      }
      // Anything from main proves it alive: under a flood the acks queue behind the data.
      unackedHeartbeats = 0;
      if (link.isControl(e)) {
        for (Envelope held : link.onControl(e)) {
          handleFromMain(held);
          link.processed();
        }
        return this;
      }
      handleFromMain(e);
      return this;
    }
    getContext().getLog().warn("Unexpected message from main: {}", message.getClass().getName());
    return this;
  }

  /** A slice of an envelope too large for one Artery frame; the whole one is handled once complete. */
  private Behavior<Command> onEnvelopePart(EnvelopePart part) {
    if (welcome == null) {
      getContext().getLog().warn("Envelope part on [{}] before Welcome: dropped", part.channel());
      return this;
    }
    unackedHeartbeats = 0;
    Reassembly.Outcome outcome = parts.accept(part);
    if (outcome instanceof Reassembly.Complete complete) {
      return onFromMain(new FromMain(complete.envelope()));
    }
    if (outcome instanceof Reassembly.Refused refused) {
      IpcError error = refused.error().withRequest(part.channel(), part.inReplyTo() != null ? part.inReplyTo() : part.id());
      getContext().getLog().warn("Dropped an envelope in parts on [{}] from main: {} {}", part.channel(), error.code(), error.message());
      if (part.inReplyTo() != null) {
        lane.fail(part.inReplyTo(), error);
      } else {
        events.error(error);
      }
    }
    return this;
  }

  private void handleFromMain(Envelope e) {
    onEnvelope(e);
    // Under a flood, report progress more often than once a tick, or main would think us behind.
    long processed = lane.processedOne();
    if (processed % PROGRESS_EVERY == 0) {
      lane.reportProgress(new Heartbeat(heartbeatSeq, System.nanoTime(), processed));
    }
  }

  private Behavior<Command> onEnvelope(Envelope e) {
    events.envelope(e);
    if (e.inReplyTo() != null) {
      onReply(e);
    } else if (e.type() == MessageType.COMMAND) {
      onRequest(e);
    } else if (e.type() == MessageType.STATE_UPDATE) {
      onStateUpdate(e);
    } else if (e.type() == MessageType.ERROR) {
      reportError(e);
    } else {
      events.push(e);
    }
    return this;
  }

  private void onReply(Envelope e) {
    if (lane.complete(e)) {
      timers.cancel(resendKey(e.inReplyTo()));
      return;
    }
    if (e.type() == MessageType.ERROR) {
      reportError(e);
    } else {
      getContext().getLog().debug("Late reply on [{}] to [{}]: dropped", e.channel(), e.inReplyTo());
    }
  }

  private void reportError(Envelope e) {
    IpcError error = decodeError(e);
    getContext().getLog().warn("Main refused [{}] on [{}]: {} {}", e.inReplyTo(), e.channel(), error.code(), error.message());
    events.error(error);
  }

  private static IpcError decodeError(Envelope e) {
    return DirectLane.decodeError(e);
  }

  private void onStateUpdate(Envelope e) {
    StateSync sync;
    try {
      sync = PayloadCodec.decode(e.payload(), StateSync.class);
    } catch (IpcException ex) {
      getContext().getLog().warn("Undecodable state update [{}]: {}", e.id(), ex.getMessage());
      return;
    }
    StateReplica.Outcome outcome = replica.apply(sync);
    if (outcome == StateReplica.Outcome.GAP && connection != null) {
      getContext().getLog().info("State gap: have [{}], got [{}]; asking for a snapshot", replica.version(), sync.version());
      byte[] payload = PayloadCodec.encode(new StateResync(replica.version()));
      link.tell(Envelope.of(Channels.STATE_RESYNC.name(), MessageType.EVENT, payload));
    }
    events.push(e);
  }

  private void onRequest(Envelope request) {
    if (connection == null) {
      getContext().getLog().debug("Reconnecting: dropped main's request [{}] on [{}]", request.id(), request.channel());
      return;
    }
    Optional<Function<byte[], CompletionStage<byte[]>>> handler = events.handler(request.channel());
    if (handler.isEmpty()) {
      link.tell(request.replyError(
          IpcError.of(ErrorCode.NOT_FOUND, "No handler registered for '" + request.channel() + "'")));
      return;
    }
    Function<byte[], CompletionStage<byte[]>> h = handler.get();
    // Handlers are application code: run them off this actor so a slow one cannot stall heartbeats.
    CompletionStage<byte[]> result =
        CompletableFuture.supplyAsync(() -> h.apply(request.payload()), getContext().getExecutionContext())
            .thenCompose(Function.identity());
    getContext().pipeToSelf(result, (reply, failure) -> new HandlerFinished(request, reply, failure));
  }

  private Behavior<Command> onHandlerFinished(HandlerFinished done) {
    if (connection == null) {
      return this;
    }
    if (done.failure() != null) {
      IpcError error = IpcException.errorOf(done.failure());
      getContext().getLog().debug("Handler for [{}] failed: {}", done.request().channel(), error.message());
      link.tell(done.request().replyError(error));
    } else {
      link.tell(done.request().reply(done.reply()));
    }
    return this;
  }

  // --- outbound --------------------------------------------------------------------------------

  private Behavior<Command> onInvoke(Invoke invoke) {
    try {
      return invoke(invoke);
    } finally {
      lane.handled();
    }
  }

  private Behavior<Command> invoke(Invoke invoke) {
    Envelope request = invoke.request();
    if (phase == Phase.RECONNECTING) {
      return onInvokeWhileReconnecting(invoke);
    }
    if (connection == null) {
      invoke.result().completeExceptionally(new IpcException(ErrorCode.CONNECTION, "Not connected to main"));
      return this;
    }
    if (request.payload().length > payloadLimit()) {
      invoke.result().completeExceptionally(new IpcException(tooLarge(request, payloadLimit())));
      return this;
    }
    send(lane.register(request, invoke.timeout(), invoke.idempotent(), invoke.result()));
    return this;
  }

  private static IpcError tooLarge(Envelope envelope, long limit) {
    return new IpcError(ErrorCode.TOO_LARGE, "Payload of " + envelope.payload().length + " bytes exceeds the limit of "
        + limit + " bytes", envelope.channel(), envelope.id());
  }

  private Behavior<Command> onInvokeWhileReconnecting(Invoke invoke) {
    Envelope request = invoke.request();
    long queued = lane.unsent();
    if (queued >= options.reconnect().maxQueued()) {
      invoke.result().completeExceptionally(new IpcException(new IpcError(ErrorCode.CONNECTION,
          "Reconnecting to main, and " + queued + " invokes already wait", request.channel(), request.id())));
      return this;
    }
    if (request.payload().length > maxPayloadBytes) {
      invoke.result().completeExceptionally(new IpcException(tooLarge(request, maxPayloadBytes)));
      return this;
    }
    // Waits for the Welcome; its own timeout still ends it if none comes in time.
    lane.register(request, invoke.timeout(), invoke.idempotent(), invoke.result());
    return this;
  }

  private Behavior<Command> onSend(Send send) {
    try {
      return send(send);
    } finally {
      lane.handled();
    }
  }

  private Behavior<Command> send(Send send) {
    if (connection == null) {
      getContext().getLog().warn("Not connected: dropped a send on [{}]", send.event().channel());
      if (phase == Phase.RECONNECTING) {
        events.error(new IpcError(ErrorCode.CONNECTION, "Reconnecting to main: message dropped",
            send.event().channel(), send.event().id()));
      }
      return this;
    }
    if (send.event().payload().length > payloadLimit()) {
      IpcError error = tooLarge(send.event(), payloadLimit());
      getContext().getLog().warn("Not sending on [{}]: {}", send.event().channel(), error.message());
      events.error(error);
      return this;
    }
    link.tell(send.event());
    return this;
  }

  // --- data plane (MainLink) -------------------------------------------------------------------

  /** Artery's limit, or the data plane's once switched. */
  private long payloadLimit() {
    return link.payloadLimit(maxPayloadBytes);
  }

  private Behavior<Command> onSocketEnvelope(MainLink.SocketEnvelope m) {
    if (!link.isCurrent(m.session())) {
      return this; // from the socket of a session that ended before a reconnect
    }
    if (link.hold(m.envelope())) {
      return this;
    }
    Behavior<Command> next = DataPlaneWire.isControl(m.envelope()) ? this : onFromMain(new FromMain(m.envelope()));
    link.processed();
    return next;
  }

  private Behavior<Command> onSocketClosed(MainLink.SocketClosed closed) {
    if (!link.isCurrent(closed.session())) {
      return this;
    }
    if (!link.onDataPlane()) {
      getContext().getLog().info("Data-plane socket closed before the switch ({}): staying on Artery", closed.reason());
      return this;
    }
    return connectionLost(IpcError.of(ErrorCode.CONNECTION,
        "Connection to main lost: data plane closed (" + closed.reason() + ")"));
  }

  /** Resume if main gave us a token, else report the loss and stop. */
  private Behavior<Command> connectionLost(IpcError reason) {
    if (canResume()) {
      startReconnecting(reason);
      return this;
    }
    getContext().getLog().warn("[{}] {}", welcome.rendererId(), reason.message());
    failPending(reason);
    events.disconnected(reason);
    return Behaviors.stopped();
  }

  // --- liveness and shutdown -------------------------------------------------------------------

  private Behavior<Command> onHeartbeatTick(HeartbeatTick tick) {
    if (phase != Phase.CONNECTED) {
      return this;
    }
    if (link.ackedSinceLastAsked()) {
      // An ack over the data plane, noted by the socket's reader: as a HeartbeatAck over Artery.
      unackedHeartbeats = 0;
    }
    if (unackedHeartbeats >= options.missedHeartbeats()) {
      return connectionLost(IpcError.of(ErrorCode.CONNECTION,
          "Connection to main lost: no heartbeat ack for " + unackedHeartbeats + " intervals"));
    }
    if (lane.heardSinceLastAsked()) {
      // Replies the socket's reader handed to callers prove main alive as well.
      unackedHeartbeats = 0;
    }
    unackedHeartbeats++;
    lane.heartbeatSeq(++heartbeatSeq);
    Heartbeat heartbeat = new Heartbeat(heartbeatSeq, System.nanoTime(), lane.processed());
    // Over the data plane once switched (no Artery and TLS work on either side while idle); over
    // Artery before that, for renderers on another machine, and every ARTERY_HEARTBEAT_EVERY-th one
    // anyway, so that the Artery association (Goodbye, progress reports, a resume) never sits idle
    // into Artery's idle-stream and idle-quarantine timers.
    if (!link.heartbeat(heartbeat) || heartbeatSeq % ARTERY_HEARTBEAT_EVERY == 0) {
      connection.tell(heartbeat);
    }
    return this;
  }

  private Behavior<Command> onClose(Close close) {
    lane.stopped();
    if (connection != null) {
      connection.tell(new Goodbye(close.reason()));
    }
    failConnect(new IpcException(ErrorCode.CONNECTION, "Closed before the handshake completed"));
    failPending(IpcError.of(ErrorCode.CONNECTION, "Renderer closed: " + close.reason()));
    close.replyTo().tell(Done.getInstance());
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    link.close();
    failConnect(new IpcException(ErrorCode.CONNECTION, "Renderer client stopped"));
    failPending(IpcError.of(ErrorCode.CONNECTION, "Renderer client stopped"));
    return this;
  }

  private void failPending(IpcError reason) {
    lane.failAll(reason);
  }
}
