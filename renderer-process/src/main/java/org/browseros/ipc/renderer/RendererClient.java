package org.browseros.ipc.renderer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 */
public final class RendererClient extends AbstractBehavior<RendererClient.Command> {

  public interface Command {}

  /** Starts the handshake; answered with the {@link Welcome}, or an {@link IpcException} (refused, CONNECTION). */
  public record Connect(ActorRef<StatusReply<Welcome>> replyTo) implements Command {}

  /** Sends a request envelope; answered with the reply's payload bytes or an {@link IpcException}. */
  public record Invoke(Envelope request, Duration timeout, ActorRef<StatusReply<byte[]>> replyTo) implements Command {}

  /** Sends a one-way envelope. */
  public record Send(Envelope event) implements Command {}

  /** Says Goodbye to main and stops; pending invokes fail with CONNECTION. */
  public record Close(String reason, ActorRef<Done> replyTo) implements Command {}

  private record FromMain(ToRenderer message) implements Command {}

  private enum HelloTick implements Command { INSTANCE }

  private enum HandshakeTimedOut implements Command { INSTANCE }

  private enum HeartbeatTick implements Command { INSTANCE }

  private record InvokeTimedOut(String id) implements Command {}

  private record HandlerFinished(Envelope request, byte[] reply, Throwable failure) implements Command {}

  /**
   * What the client hands to its owner. Called on the client's thread, so implementations must be
   * quick and must not block.
   */
  public interface Events {
    /** Every inbound envelope, before anything else happens to it. */
    void envelope(Envelope envelope);

    /** A push for channel listeners: EVENT, SYSTEM_EVENT and (applied or not) STATE_UPDATE. */
    void push(Envelope envelope);

    /** An error main sent about a one-way message (or one no request waits for). */
    void error(IpcError error);

    /** The handler for a main-to-renderer invoke: request payload in, reply payload out. */
    Optional<Function<byte[], CompletionStage<byte[]>>> handler(String channel);

    /** The connection is lost (no heartbeat acks); the client has stopped. */
    void disconnected(IpcError reason);
  }

  private record Pending(String channel, Duration timeout, ActorRef<StatusReply<byte[]>> replyTo) {}

  private static final Duration FIRST_HELLO_RETRY = Duration.ofMillis(500);
  private static final Duration MAX_HELLO_RETRY = Duration.ofSeconds(2);
  private static final long DEFAULT_HEARTBEAT_MILLIS = 1000;

  private final TimerScheduler<Command> timers;
  private final ConnectOptions options;
  // Larger envelopes would exceed Artery's frame and be dropped on the floor: refuse them here instead.
  private final long maxPayloadBytes;
  private final StateReplica replica;
  private final Events events;
  private final ActorRef<ToRenderer> self;
  private final Map<String, Pending> pending = new HashMap<>();
  private final MainLink link;

  private ActorRef<StatusReply<Welcome>> connectReplyTo;
  private Duration helloBackoff = FIRST_HELLO_RETRY;
  private int helloAttempts;
  private Welcome welcome;
  private ActorRef<ToMain> connection;
  private long heartbeatSeq;
  private int unackedHeartbeats;

  public static Behavior<Command> create(ConnectOptions options, StateReplica replica, Events events) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RendererClient(ctx, timers, options, replica, events)));
  }

  private RendererClient(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ConnectOptions options,
      StateReplica replica,
      Events events) {
    super(context);
    this.timers = timers;
    this.options = options;
    this.maxPayloadBytes = context.getSystem().settings().config().getBytes("browseros.renderer.max-payload-size");
    this.replica = replica;
    this.events = events;
    this.self = context.messageAdapter(ToRenderer.class, FromMain::new);
    this.link = new MainLink(context.getSelf(), context.getSystem().settings().config());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Connect.class, this::onConnect)
        .onMessage(HelloTick.class, this::onHelloTick)
        .onMessage(HandshakeTimedOut.class, this::onHandshakeTimedOut)
        .onMessage(FromMain.class, this::onFromMain)
        .onMessage(Invoke.class, this::onInvoke)
        .onMessage(InvokeTimedOut.class, this::onInvokeTimedOut)
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
    ActorSelection gateway = Adapter.toClassic(getContext().getSystem()).actorSelection(options.gatewayPath());
    gateway.tell(
        new Hello(options.rendererId(), options.secret(), self, Hello.PROTOCOL_VERSION),
        org.apache.pekko.actor.ActorRef.noSender());
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

  private Behavior<Command> onWelcome(Welcome w) {
    if (welcome != null) {
      getContext().getLog().debug("Ignoring a second Welcome for [{}]", w.rendererId());
      return this;
    }
    welcome = w;
    connection = w.connection();
    link.welcomed(connection);
    timers.cancel(HelloTick.INSTANCE);
    timers.cancel(HandshakeTimedOut.INSTANCE);
    long interval = w.heartbeatIntervalMillis() > 0 ? w.heartbeatIntervalMillis() : DEFAULT_HEARTBEAT_MILLIS;
    timers.startTimerAtFixedRate(HeartbeatTick.INSTANCE, HeartbeatTick.INSTANCE, Duration.ofMillis(interval));
    getContext().getLog().info("Connected as [{}] (capability {}, profile {})", w.rendererId(), w.capability(), w.profileId());
    if (connectReplyTo != null) {
      connectReplyTo.tell(StatusReply.success(w));
      connectReplyTo = null;
    }
    return this;
  }

  private Behavior<Command> onRefused(Refused refused) {
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
    if (message instanceof Envelope e) {
      if (welcome == null) {
        getContext().getLog().warn("Envelope on [{}] before Welcome: dropped", e.channel());
        return this;
      }
      // Anything from main proves it alive: under a flood the acks queue behind the data.
      unackedHeartbeats = 0;
      if (link.isControl(e)) {
        for (Envelope held : link.onControl(e)) {
          onEnvelope(held);
          link.processed();
        }
        return this;
      }
      return onEnvelope(e);
    }
    getContext().getLog().warn("Unexpected message from main: {}", message.getClass().getName());
    return this;
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
    Pending p = pending.remove(e.inReplyTo());
    if (p == null) {
      if (e.type() == MessageType.ERROR) {
        reportError(e);
      } else {
        getContext().getLog().debug("Late reply on [{}] to [{}]: dropped", e.channel(), e.inReplyTo());
      }
      return;
    }
    timers.cancel(e.inReplyTo());
    if (e.type() == MessageType.ERROR) {
      p.replyTo().tell(StatusReply.error(new IpcException(decodeError(e))));
    } else {
      p.replyTo().tell(StatusReply.success(e.payload()));
    }
  }

  private void reportError(Envelope e) {
    IpcError error = decodeError(e);
    getContext().getLog().warn("Main refused [{}] on [{}]: {} {}", e.inReplyTo(), e.channel(), error.code(), error.message());
    events.error(error);
  }

  private static IpcError decodeError(Envelope e) {
    try {
      IpcError error = PayloadCodec.decode(e.payload(), IpcError.class);
      return error.channel() == null ? error.withRequest(e.channel(), e.inReplyTo()) : error;
    } catch (IpcException | NullPointerException ex) {
      return new IpcError(ErrorCode.INTERNAL, "Undecodable error from main", e.channel(), e.inReplyTo());
    }
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
    if (outcome == StateReplica.Outcome.GAP) {
      getContext().getLog().info("State gap: have [{}], got [{}]; asking for a snapshot", replica.version(), sync.version());
      byte[] payload = PayloadCodec.encode(new StateResync(replica.version()));
      link.tell(Envelope.of(Channels.STATE_RESYNC.name(), MessageType.EVENT, payload));
    }
    events.push(e);
  }

  private void onRequest(Envelope request) {
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
    Envelope request = invoke.request();
    if (connection == null) {
      invoke.replyTo().tell(StatusReply.error(new IpcException(ErrorCode.CONNECTION, "Not connected to main")));
      return this;
    }
    if (request.payload().length > payloadLimit()) {
      invoke.replyTo().tell(StatusReply.error(new IpcException(new IpcError(ErrorCode.TOO_LARGE,
          "Payload of " + request.payload().length + " bytes exceeds the limit of " + payloadLimit() + " bytes",
          request.channel(), request.id()))));
      return this;
    }
    pending.put(request.id(), new Pending(request.channel(), invoke.timeout(), invoke.replyTo()));
    timers.startSingleTimer(request.id(), new InvokeTimedOut(request.id()), invoke.timeout());
    link.tell(request);
    return this;
  }

  private Behavior<Command> onInvokeTimedOut(InvokeTimedOut timeout) {
    Pending p = pending.remove(timeout.id());
    if (p != null) {
      p.replyTo().tell(StatusReply.error(new IpcException(new IpcError(ErrorCode.TIMEOUT,
          "No reply on '" + p.channel() + "' within " + p.timeout().toMillis() + " ms", p.channel(), timeout.id()))));
    }
    return this;
  }

  private Behavior<Command> onSend(Send send) {
    if (connection == null) {
      getContext().getLog().warn("Not connected: dropped a send on [{}]", send.event().channel());
      return this;
    }
    if (send.event().payload().length > payloadLimit()) {
      IpcError error = new IpcError(ErrorCode.TOO_LARGE, "Payload of " + send.event().payload().length
          + " bytes exceeds the limit of " + payloadLimit() + " bytes", send.event().channel(), send.event().id());
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
    if (link.hold(m.envelope())) {
      return this;
    }
    Behavior<Command> next = DataPlaneWire.isControl(m.envelope()) ? this : onFromMain(new FromMain(m.envelope()));
    link.processed();
    return next;
  }

  private Behavior<Command> onSocketClosed(MainLink.SocketClosed closed) {
    if (!link.onDataPlane()) {
      getContext().getLog().info("Data-plane socket closed before the switch ({}): staying on Artery", closed.reason());
      return this;
    }
    IpcError reason = IpcError.of(ErrorCode.CONNECTION, "Connection to main lost: data plane closed (" + closed.reason() + ")");
    getContext().getLog().warn("[{}] {}", welcome.rendererId(), reason.message());
    failPending(reason);
    events.disconnected(reason);
    return Behaviors.stopped();
  }

  // --- liveness and shutdown -------------------------------------------------------------------

  private Behavior<Command> onHeartbeatTick(HeartbeatTick tick) {
    if (unackedHeartbeats >= options.missedHeartbeats()) {
      IpcError reason = IpcError.of(ErrorCode.CONNECTION,
          "Connection to main lost: no heartbeat ack for " + unackedHeartbeats + " intervals");
      getContext().getLog().warn("[{}] {}", welcome.rendererId(), reason.message());
      failPending(reason);
      events.disconnected(reason);
      return Behaviors.stopped();
    }
    unackedHeartbeats++;
    connection.tell(new Heartbeat(++heartbeatSeq, System.nanoTime()));
    return this;
  }

  private Behavior<Command> onClose(Close close) {
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
    pending.forEach((id, p) -> p.replyTo().tell(
        StatusReply.error(new IpcException(reason.withRequest(p.channel(), id)))));
    pending.clear();
  }
}
