package org.browseros.ipc.main.gateway;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.browseros.ipc.main.dataplane.DataPlaneLink;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.ipc.IpcMainEvent;
import org.browseros.ipc.main.monitor.MessageTap;
import org.browseros.ipc.main.security.ChannelGuard;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Direction;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.parts.Reassembly;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * One renderer's connection in the edge system: the only main-side actor that renderer can reach.
 * It turns envelopes into calls on the core and on {@link IpcMain}, in the order the renderer sent
 * them, and turns replies, pushes, state updates and system events back into envelopes.
 *
 * <p>Its behaviour type is the wire type {@link ToMain} because the renderer sends to it directly;
 * its own internal commands extend it but are not serializable, so no renderer can send them.
 */
public final class Connection extends AbstractBehavior<ToMain> {

  /** Internal commands: sent from within main only. */
  public interface Command extends ToMain {}

  /** Push an envelope (event, broadcast) to the renderer. */
  public record Push(Envelope envelope) implements Command {}

  /** Main-to-renderer invoke: send {@code request}, answer {@code replyTo} with the reply envelope. */
  public record InvokeRenderer(Envelope request, ActorRef<Envelope> replyTo, Duration timeout) implements Command {}

  /** Close the connection; {@code report} false when a newer session of the same renderer replaced it. */
  public record Close(String reason, boolean report) implements Command {}

  /** From the registry: where to publish live figures, and whom to ask for renderers:list figures. */
  record Registered(ConnectionRegistry registry, ConnectionFigures figures, OwnHandler own) implements Command {}

  private record Replied(Envelope request, Object reply, Throwable failure) implements Command {}

  private record StateUpdated(StateSync sync) implements Command {}

  private record SystemEventPublished(SystemEvent event) implements Command {}

  private record RendererInvokeTimedOut(String requestId) implements Command {}

  private enum CheckHeartbeat implements Command {
    INSTANCE
  }

  private record PendingInvoke(Envelope request, ActorRef<Envelope> replyTo) {}

  public static Behavior<ToMain> create(
      Caller caller, Outbound outbound, CoreApi core, IpcMain ipcMain, Admission admission, GatewaySettings settings) {
    return create(caller, outbound, core, ipcMain, admission, settings, MessageTap.NONE);
  }

  /** @param tap sees every envelope in and out (the IPC monitor) */
  public static Behavior<ToMain> create(Caller caller, Outbound outbound, CoreApi core, IpcMain ipcMain,
      Admission admission, GatewaySettings settings, MessageTap tap) {
    return create(caller, outbound, core, ipcMain, admission, settings, tap, Resumption.none());
  }

  /** @param resumption the resume token and main instance for the Welcome, and the renderer's request log */
  public static Behavior<ToMain> create(Caller caller, Outbound outbound, CoreApi core, IpcMain ipcMain,
      Admission admission, GatewaySettings settings, MessageTap tap, Resumption resumption) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      DataPlaneLink dataPlane = new DataPlaneLink(outbound, DataPlaneServer.get(context.getSystem()));
      return new Connection(context, timers, caller, dataPlane, MessageTap.tapped(dataPlane, caller, tap), core, ipcMain,
          admission, settings, tap, resumption);
    }));
  }

  private final TimerScheduler<ToMain> timers;
  private final Caller caller;
  private final Outbound outbound;
  private final CoreApi core;
  private final IpcMain ipcMain;
  private final Admission admission;
  private final GatewaySettings settings;
  private final MessageTap tap;
  private final ActorRef<StateSync> stateAdapter;
  private final ActorRef<SystemEvent> systemEventAdapter;
  private final Map<String, PendingInvoke> pendingInvokes = new HashMap<>();
  private final ChannelGuard guard;
  private final RequestLog requests;
  private final DataPlaneLink dataPlane;
  // Envelopes too large for one Artery frame arrive in parts (bounded by the Artery payload limit).
  private final Reassembly parts;
  private long lastHeardNanos = System.nanoTime();
  private boolean disconnectReported;
  // Flow control (browseros.gateway.flow-control): lag = sent - processed.
  private final FlowControl flow;
  private ConnectionFigures figures = new ConnectionFigures();
  private OwnHandler own = new OwnHandler();
  private ConnectionRegistry registry;
  private long sent;
  private long processed;
  private boolean behind;
  private boolean snapshotOwed;
  private boolean awaitingSnapshot;
  // A state update was too large for Artery: send a snapshot once the data plane is attached.
  private boolean snapshotTooLarge;
  private long dropped;
  private long droppedSinceBehind;

  private Connection(
      ActorContext<ToMain> context,
      TimerScheduler<ToMain> timers,
      Caller caller,
      DataPlaneLink dataPlane,
      Outbound outbound,
      CoreApi core,
      IpcMain ipcMain,
      Admission admission,
      GatewaySettings settings,
      MessageTap tap,
      Resumption resumption) {
    super(context);
    this.requests = resumption.requests();
    this.timers = timers;
    this.caller = caller;
    this.dataPlane = dataPlane;
    this.outbound = message -> {
      if (message instanceof Envelope) {
        sent++;
        publishFigures();
      }
      outbound.send(message);
    };
    this.flow = settings.flowControl();
    this.core = core;
    this.ipcMain = ipcMain;
    this.admission = admission;
    this.settings = settings;
    this.tap = tap;
    this.stateAdapter = context.messageAdapter(StateSync.class, StateUpdated::new);
    this.systemEventAdapter = context.messageAdapter(SystemEvent.class, SystemEventPublished::new);
    this.guard = new ChannelGuard(caller, settings.security());
    this.parts = Reassembly.overArtery(settings.maxPayloadBytes(), context.getSystem().settings().config());
    if (guard.capability().isEmpty()) {
      context.getLog().warn("Renderer [{}] has capability [{}], which config does not define: it can do nothing",
          caller.rendererId(), caller.capability());
    }

    // The welcome goes first and from this actor, so the renderer sees it before any state update.
    this.outbound.send(new Welcome(caller.rendererId(), caller.capability(), caller.profileId(),
        context.getSelf(), settings.heartbeatInterval().toMillis(), resumption.resumeToken(), resumption.mainInstanceId()));
    core.subscribeState(stateAdapter);
    core.subscribeSystemEvents(systemEventAdapter);
    // Idle CPU: one check when the silence could first exceed the limit, not one per interval.
    timers.startSingleTimer(CheckHeartbeat.INSTANCE, silenceLimit());
    context.getLog().info("Renderer [{}] connected with capability [{}] on profile [{}]",
        caller.rendererId(), caller.capability(), caller.profileId());
  }

  @Override
  public Receive<ToMain> createReceive() {
    return newReceiveBuilder()
        .onMessage(Envelope.class, this::onEnvelope)
        .onMessage(EnvelopePart.class, this::onEnvelopePart)
        .onMessage(Heartbeat.class, this::onHeartbeat)
        .onMessage(Goodbye.class, this::onGoodbye)
        .onMessage(Push.class, this::onPush)
        .onMessage(InvokeRenderer.class, this::onInvokeRenderer)
        .onMessage(Replied.class, this::onReplied)
        .onMessage(StateUpdated.class, this::onStateUpdated)
        .onMessage(SystemEventPublished.class, this::onSystemEventPublished)
        .onMessage(RendererInvokeTimedOut.class, this::onRendererInvokeTimedOut)
        .onMessage(CheckHeartbeat.class, this::onCheckHeartbeat)
        .onMessage(Close.class, this::onClose)
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(DataPlaneServer.Event.class, this::onDataPlane)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  // ---- from the renderer ------------------------------------------------------------------------

  private Behavior<ToMain> onEnvelope(Envelope envelope) {
    lastHeardNanos = System.nanoTime();
    tap.inbound(caller, envelope);
    if (DataPlaneWire.isControl(envelope)) {
      return onDataPlaneControl(envelope);
    }
    if (envelope.inReplyTo() != null) {
      return onRendererReply(envelope);
    }
    if (envelope.id() == null || envelope.id().isEmpty() || envelope.id().length() > 64) {
      return refuse(envelope, ErrorCode.VALIDATION, "Message id must be 1..64 characters");
    }
    if (!guard.isValidName(envelope.channel())) {
      return refuse(envelope, ErrorCode.VALIDATION, "Invalid channel name");
    }
    if (envelope.payload().length > payloadLimit()) {
      return refuse(envelope, ErrorCode.TOO_LARGE, "Payload of " + envelope.payload().length
          + " bytes exceeds the limit of " + payloadLimit() + " bytes");
    }
    if (envelope.type() != MessageType.COMMAND && envelope.type() != MessageType.EVENT) {
      return refuse(envelope, ErrorCode.VALIDATION, "Renderers may send only COMMAND or EVENT messages, not " + envelope.type());
    }
    try {
      guard.admit(envelope, payloadLimit());
    } catch (IpcException e) {
      return refuse(envelope, e.code(), e.error().message());
    }
    if (envelope.type() == MessageType.COMMAND) {
      return onInvoke(envelope);
    }
    return onSend(envelope);
  }

  private Behavior<ToMain> onEnvelopePart(EnvelopePart part) {
    lastHeardNanos = System.nanoTime();
    Reassembly.Outcome outcome = parts.accept(part);
    if (outcome instanceof Reassembly.Complete complete) {
      return onEnvelope(complete.envelope());
    }
    if (outcome instanceof Reassembly.Refused refused) {
      if (refused.about().inReplyTo() != null) {
        // A renderer's reply to main's invoke: the invoker gets the error, as for a whole reply too large.
        failRendererInvoke(refused.about().inReplyTo(), refused.error());
        return this;
      }
      return refuse(refused.about(), refused.error().code(), refused.error().message());
    }
    return this;
  }

  private Behavior<ToMain> onInvoke(Envelope request) {
    String name = request.channel();
    Optional<RequestLog.Earlier> earlier = requests.earlier(request.id());
    if (earlier.isPresent()) {
      // A re-sent request (after a reconnect): answer with the first run's result, never run it twice.
      if (!earlier.get().channel().equals(name)) {
        return refuse(request, ErrorCode.VALIDATION, "Request id reused for another channel");
      }
      getContext().getLog().debug("Duplicate request [{}] on [{}] from renderer [{}]", request.id(), name, caller.rendererId());
      return reply(request, earlier.get().result());
    }
    Optional<Channel<?, ?>> builtIn = Channels.builtIn(name);
    if (builtIn.isPresent()) {
      Channel<?, ?> channel = builtIn.get();
      if (!channel.isInvoke()) {
        return refuse(request, ErrorCode.VALIDATION, "'" + name + "' cannot be invoked: it is a " + channel.direction() + " channel");
      }
      if (channel.equals(Channels.RENDERERS_LIST)) {
        ConnectionRegistry live = registry;
        return reply(request, live == null ? admission.renderers() : admission.renderers().thenApply(live::describe));
      }
      if (!core.serves(channel)) {
        return refuse(request, ErrorCode.NOT_FOUND, "No handler registered for '" + name + "'");
      }
      Object payload;
      try {
        payload = PayloadCodec.decode(request.payload(), channel.payloadType());
        guard.validate(payload);
      } catch (IpcException e) {
        return refuse(request, e.code(), e.error().message());
      }
      return reply(request, core.invoke(channel, payload, caller));
    }
    Optional<IpcMain.RegisteredHandler<?, ?>> handler = ipcMain.takeHandler(name);
    if (handler.isEmpty()) {
      return refuse(request, ErrorCode.NOT_FOUND, "No handler registered for '" + name + "'");
    }
    return reply(request, callHandler(handler.get(), request));
  }

  private <P, R> CompletionStage<?> callHandler(IpcMain.RegisteredHandler<P, R> registered, Envelope request) {
    Thread outer = own.enter();
    try {
      P payload = PayloadCodec.decode(request.payload(), registered.channel().payloadType());
      guard.validate(payload);
      CompletionStage<R> result = registered.handler().handle(event(request), payload);
      return result == null ? CompletableFuture.completedFuture(null) : result;
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    } finally {
      own.exit(outer);
    }
  }

  private Behavior<ToMain> onSend(Envelope event) {
    String name = event.channel();
    Optional<Channel<?, ?>> builtIn = Channels.builtIn(name);
    if (builtIn.isPresent()) {
      Channel<?, ?> channel = builtIn.get();
      if (channel.equals(Channels.STATE_RESYNC)) {
        try {
          guard.validate(PayloadCodec.decode(event.payload(), Channels.STATE_RESYNC.payloadType()));
        } catch (IpcException e) {
          return refuse(event, e.code(), e.error().message());
        }
        getContext().getLog().debug("Renderer [{}] asked for a state snapshot", caller.rendererId());
        core.requestSnapshot(stateAdapter);
        return this;
      }
      return refuse(event, ErrorCode.VALIDATION, "'" + name + "' cannot be sent by a renderer: it is a " + channel.direction() + " channel");
    }
    List<IpcMain.RegisteredListener<?>> listeners = ipcMain.takeListeners(name);
    if (listeners.isEmpty()) {
      // As in Electron, a message nobody listens to is dropped.
      getContext().getLog().debug("No listener for [{}] from renderer [{}]", name, caller.rendererId());
      return this;
    }
    IpcMainEvent mainEvent = event(event);
    for (IpcMain.RegisteredListener<?> listener : listeners) {
      try {
        callListener(listener, mainEvent, event.payload());
      } catch (IpcException e) {
        return refuse(event, e.code(), e.error().message());
      } catch (Exception e) {
        getContext().getLog().error("Listener for [{}] failed on a message from renderer [{}]", name, caller.rendererId(), e);
      }
    }
    return this;
  }

  private <P> void callListener(IpcMain.RegisteredListener<P> registered, IpcMainEvent event, byte[] bytes)
      throws Exception {
    P payload = PayloadCodec.decode(bytes, registered.channel().payloadType());
    guard.validate(payload);
    registered.listener().onMessage(event, payload);
  }

  private Behavior<ToMain> onRendererReply(Envelope reply) {
    PendingInvoke pending = pendingInvokes.remove(reply.inReplyTo());
    if (pending == null) {
      getContext().getLog().debug("Dropping a late or unknown reply [{}] from renderer [{}]", reply.inReplyTo(), caller.rendererId());
      return this;
    }
    timers.cancel(reply.inReplyTo());
    if (reply.payload().length > payloadLimit()) {
      pending.replyTo().tell(pending.request().replyError(IpcError.of(ErrorCode.TOO_LARGE, "Reply of "
          + reply.payload().length + " bytes exceeds the limit of " + payloadLimit() + " bytes")));
      return this;
    }
    pending.replyTo().tell(reply);
    return this;
  }

  private void failRendererInvoke(String requestId, IpcError error) {
    PendingInvoke pending = pendingInvokes.remove(requestId);
    if (pending != null) {
      timers.cancel(requestId);
      pending.replyTo().tell(pending.request().replyError(error));
    }
  }

  private Behavior<ToMain> onHeartbeat(Heartbeat heartbeat) {
    outbound.send(heard(heartbeat));
    return checkFlow();
  }

  /** A heartbeat that came over the data plane is acked there: an idle renderer costs no Artery (TLS) traffic. */
  private Behavior<ToMain> onBeat(DataPlaneServer.Beat beat) {
    Heartbeat heartbeat = beat.session().takeHeartbeat();
    if (heartbeat == null || !dataPlane.isCurrent(beat.session())) {
      return this;
    }
    dataPlane.ackOverSocket(heard(heartbeat));
    return checkFlow();
  }

  /** Records a heartbeat (liveness, the renderer's progress report) and returns its ack. */
  private HeartbeatAck heard(Heartbeat heartbeat) {
    lastHeardNanos = System.nanoTime();
    figures.heartbeat(lastHeardNanos);
    // A renderer cannot have processed more than was sent; reports may arrive out of order.
    processed = Math.max(processed, Math.min(heartbeat.processed(), sent));
    publishFigures();
    return new HeartbeatAck(heartbeat.seq(), heartbeat.sentAtNanos());
  }

  private Behavior<ToMain> onGoodbye(Goodbye goodbye) {
    reportDisconnect("goodbye: " + goodbye.reason());
    return Behaviors.stopped();
  }

  // ---- replies ----------------------------------------------------------------------------------

  private Behavior<ToMain> reply(Envelope request, CompletionStage<?> result) {
    requests.record(request.id(), request.channel(), result);
    if (result instanceof CompletableFuture<?> done && done.isDone()) {
      // A synchronous handler: answer now rather than through the mailbox (one hand-off less).
      Replied[] replied = new Replied[1];
      done.whenComplete((value, failure) -> replied[0] = new Replied(request, value, failure));
      return onReplied(replied[0]);
    }
    getContext().pipeToSelf(result, (value, failure) -> new Replied(request, value, failure));
    return this;
  }

  private Behavior<ToMain> onReplied(Replied replied) {
    Envelope request = replied.request();
    if (replied.failure() != null) {
      IpcError error = IpcException.errorOf(replied.failure());
      if (error.code() == ErrorCode.INTERNAL) {
        getContext().getLog().warn("Invoke [{}] [{}] from renderer [{}] failed", request.channel(), request.id(),
            caller.rendererId(), replied.failure());
      }
      return refuse(request, error.code(), error.message());
    }
    byte[] bytes;
    try {
      bytes = PayloadCodec.encode(replied.reply());
    } catch (IpcException e) {
      return refuse(request, e.code(), e.error().message());
    }
    if (bytes.length > payloadLimit()) {
      return refuse(request, ErrorCode.TOO_LARGE, "Reply of " + bytes.length + " bytes exceeds the limit of "
          + payloadLimit() + " bytes");
    }
    requests.replied(request.id(), bytes.length);
    outbound.send(request.reply(bytes));
    return checkFlow();
  }

  private Behavior<ToMain> refuse(Envelope request, ErrorCode code, String message) {
    if (code == ErrorCode.PERMISSION) {
      getContext().getLog().warn("Denied [{}] [{}] to renderer [{}] (capability [{}]): {}", request.channel(),
          request.id(), caller.rendererId(), caller.capability(), message);
    } else {
      getContext().getLog().debug("Refusing [{}] [{}] from renderer [{}]: {} {}", request.channel(), request.id(),
          caller.rendererId(), code, message);
    }
    outbound.send(request.replyError(IpcError.of(code, message)));
    if (ChannelGuard.isViolation(code) && guard.violated(code)) {
      return terminateBadRenderer("too many refused messages; last: " + code + " on '" + request.channel() + "': " + message);
    }
    return checkFlow();
  }

  /** Chromium's ReportBadMessage: close the connection and have the supervisor kill the renderer. */
  private Behavior<ToMain> terminateBadRenderer(String reason) {
    getContext().getLog().error("Renderer [{}] sent bad messages: terminating it ({})", caller.rendererId(), reason);
    disconnectReported = true;
    admission.badMessage(caller.rendererId(), reason);
    return Behaviors.stopped();
  }

  private IpcMainEvent event(Envelope envelope) {
    return new IpcMainEvent(caller, envelope.channel(), envelope.id(), envelope.timestamp());
  }

  // ---- toward the renderer --------------------------------------------------------------------------

  private Behavior<ToMain> onPush(Push push) {
    return pushNow(push.envelope()) ? checkFlow() : this;
  }

  /**
   * A push from inside one of this connection's own handlers, on its thread ({@link OwnHandler}):
   * written now, before the handler's reply. The checks are {@link Push}'s; the flow check runs when
   * the reply goes out.
   */
  void pushFromOwnHandler(Envelope envelope) {
    pushNow(envelope);
  }

  /** Sends a push unless it is above the limit or the renderer is behind (then it is dropped); true when sent. */
  private boolean pushNow(Envelope envelope) {
    if (envelope.payload().length > payloadLimit()) {
      getContext().getLog().warn("Not pushing [{}] to renderer [{}]: {} bytes exceed the limit",
          envelope.channel(), caller.rendererId(), envelope.payload().length);
      return false;
    }
    if (behind) {
      drop();
      return false;
    }
    outbound.send(envelope);
    return true;
  }

  private Behavior<ToMain> onInvokeRenderer(InvokeRenderer invoke) {
    Envelope request = invoke.request();
    if (request.payload().length > payloadLimit()) {
      invoke.replyTo().tell(request.replyError(IpcError.of(ErrorCode.TOO_LARGE, "Payload of "
          + request.payload().length + " bytes exceeds the limit of " + payloadLimit() + " bytes")));
      return this;
    }
    if (behind) {
      invoke.replyTo().tell(request.replyError(IpcError.of(ErrorCode.CONNECTION, "Renderer '" + caller.rendererId()
          + "' is behind by " + lag() + " messages: not invoking '" + request.channel() + "'")));
      return drop();
    }
    pendingInvokes.put(request.id(), new PendingInvoke(request, invoke.replyTo()));
    timers.startSingleTimer(request.id(), new RendererInvokeTimedOut(request.id()), invoke.timeout());
    outbound.send(request);
    return checkFlow();
  }

  private Behavior<ToMain> onRendererInvokeTimedOut(RendererInvokeTimedOut timedOut) {
    PendingInvoke pending = pendingInvokes.remove(timedOut.requestId());
    if (pending != null) {
      pending.replyTo().tell(pending.request().replyError(IpcError.of(ErrorCode.TIMEOUT,
          "Renderer '" + caller.rendererId() + "' did not answer '" + pending.request().channel() + "' in time")));
    }
    return this;
  }

  private Behavior<ToMain> onStateUpdated(StateUpdated updated) {
    StateSync sync = updated.sync();
    if (behind) {
      // Coalesced: whatever changes meanwhile, one snapshot on catching up replaces them all.
      snapshotOwed = true;
      return this;
    }
    if (awaitingSnapshot) {
      if (!sync.snapshot()) {
        // Produced before the snapshot we asked for, which covers it.
        return this;
      }
      awaitingSnapshot = false;
    }
    byte[] bytes = PayloadCodec.encode(sync);
    if (bytes.length > payloadLimit()) {
      // Artery would discard it (its frame is 256 KiB): owe a snapshot until a larger way is up.
      getContext().getLog().warn("State update of [{}] bytes for renderer [{}] exceeds the [{}] bytes of its transport: "
          + "a snapshot is owed until the data plane is attached", bytes.length, caller.rendererId(), payloadLimit());
      snapshotTooLarge = true;
      return this;
    }
    outbound.send(Envelope.of(Channels.STATE_SYNC.name(), MessageType.STATE_UPDATE, bytes));
    return checkFlow();
  }

  private Behavior<ToMain> onSystemEventPublished(SystemEventPublished published) {
    if (behind) {
      return drop();
    }
    outbound.send(Envelope.of(Channels.SYSTEM_EVENT.name(), MessageType.SYSTEM_EVENT, PayloadCodec.encode(published.event())));
    return checkFlow();
  }

  // ---- flow control ---------------------------------------------------------------------------------

  private long lag() {
    return Math.max(0, sent - processed);
  }

  private Behavior<ToMain> drop() {
    dropped++;
    droppedSinceBehind++;
    publishFigures();
    return this;
  }

  /** Enters or leaves the behind mode by the renderer's lag, or closes past the hard limit. */
  private Behavior<ToMain> checkFlow() {
    long lag = lag();
    if (lag > flow.hardLimit()) {
      getContext().getLog().warn("Renderer [{}] is behind by [{}] messages, over the hard limit of [{}]: closing its connection",
          caller.rendererId(), lag, flow.hardLimit());
      // Reported like a missed heartbeat: the supervisor kills a renderer that hangs and relaunches it.
      reportDisconnect(Admission.HEARTBEAT_TIMEOUT);
      return Behaviors.stopped();
    }
    if (!behind && lag > flow.softLimit()) {
      behind = true;
      droppedSinceBehind = 0;
      getContext().getLog().warn("Renderer [{}] is behind by [{}] messages: withholding state deltas and dropping pushes to it until it catches up",
          caller.rendererId(), lag);
    } else if (behind && lag <= flow.lowWater()) {
      behind = false;
      getContext().getLog().info("Renderer [{}] caught up: [{}] pushes dropped meanwhile{}", caller.rendererId(),
          droppedSinceBehind, snapshotOwed ? "; sending a state snapshot" : "");
      if (snapshotOwed) {
        snapshotOwed = false;
        awaitingSnapshot = true;
        core.requestSnapshot(stateAdapter);
      }
    }
    publishFigures();
    return this;
  }

  private void publishFigures() {
    figures.update(sent, processed, dropped, behind);
  }

  private Behavior<ToMain> onRegistered(Registered registered) {
    registry = registered.registry();
    figures = registered.figures();
    own = registered.own();
    own.attach(this);
    figures.heartbeat(lastHeardNanos);
    publishFigures();
    return this;
  }

  // ---- liveness and shutdown ----------------------------------------------------------------------

  /** A connection silent this long is closed: {@code missed-heartbeats} intervals. */
  private Duration silenceLimit() {
    return settings.heartbeatInterval().multipliedBy(settings.missedHeartbeats());
  }

  private Behavior<ToMain> onCheckHeartbeat(CheckHeartbeat check) {
    Duration silence = Duration.ofNanos(System.nanoTime() - lastHeardNanos);
    Duration limit = silenceLimit();
    if (silence.compareTo(limit) > 0) {
      getContext().getLog().warn("Renderer [{}] silent for [{}] ms: closing its connection",
          caller.rendererId(), silence.toMillis());
      reportDisconnect(Admission.HEARTBEAT_TIMEOUT);
      return Behaviors.stopped();
    }
    // Next look when this silence would pass the limit if nothing is heard meanwhile: the same bound
    // (closed within one scheduler tick of it, before: within one interval), about 1/missed the wake-ups.
    timers.startSingleTimer(CheckHeartbeat.INSTANCE, limit.minus(silence).plusMillis(1));
    return this;
  }

  private Behavior<ToMain> onClose(Close close) {
    if (close.report()) {
      reportDisconnect(close.reason());
    } else {
      disconnectReported = true;
    }
    getContext().getLog().info("Closing connection of renderer [{}]: {}", caller.rendererId(), close.reason());
    return Behaviors.stopped();
  }

  private Behavior<ToMain> onPostStop(PostStop signal) {
    dataPlane.close();
    core.unsubscribeState(stateAdapter);
    core.unsubscribeSystemEvents(systemEventAdapter);
    pendingInvokes.values().forEach(p -> p.replyTo().tell(p.request().replyError(
        IpcError.of(ErrorCode.CONNECTION, "Renderer '" + caller.rendererId() + "' disconnected"))));
    pendingInvokes.clear();
    reportDisconnect("connection stopped");
    return this;
  }

  private void reportDisconnect(String reason) {
    if (!disconnectReported) {
      disconnectReported = true;
      getContext().getLog().info("Renderer [{}] disconnected: {}", caller.rendererId(), reason);
      admission.disconnected(caller.rendererId(), reason);
    }
  }

  // ---- data plane (docs/PERFORMANCE.md): envelopes over a local socket instead of Artery ---------------

  /** The payload limit of the transport in use: larger over the data plane, Artery's frame otherwise. */
  private int payloadLimit() {
    return dataPlane.payloadLimit(settings.maxPayloadBytes());
  }

  private Behavior<ToMain> onDataPlaneControl(Envelope envelope) {
    if (DataPlaneWire.OPEN.equals(envelope.channel()) && envelope.isRequest() && !dataPlane.isAttached()) {
      try {
        outbound.send(envelope.reply(PayloadCodec.encode(dataPlane.open(getContext().getSelf(), caller.rendererId()))));
      } catch (IpcException e) {
        return refuse(envelope, e.code(), e.error().message());
      }
      return this;
    }
    if (DataPlaneWire.SWITCH.equals(envelope.channel()) && envelope.type() == MessageType.EVENT && dataPlane.isAttached()) {
      for (Envelope held : dataPlane.rendererSwitched()) {
        Behavior<ToMain> next = onEnvelope(held);
        dataPlane.processed();
        if (next != this) {
          return next;
        }
      }
      return this;
    }
    return refuse(envelope, ErrorCode.VALIDATION, "Misplaced data-plane message on '" + envelope.channel() + "'");
  }

  private Behavior<ToMain> onDataPlane(DataPlaneServer.Event event) {
    if (event instanceof DataPlaneServer.Attached attached) {
      getContext().getLog().debug("Renderer [{}] switched to the data plane", caller.rendererId());
      dataPlane.attached(attached.session());
      if (snapshotTooLarge) {
        snapshotTooLarge = false;
        awaitingSnapshot = true;
        core.requestSnapshot(stateAdapter);
      }
      return this;
    }
    if (event instanceof DataPlaneServer.Arrived arrived) {
      return onArrived(arrived.session());
    }
    if (event instanceof DataPlaneServer.Beat beat) {
      return onBeat(beat);
    }
    if (event instanceof DataPlaneServer.Oversize oversize) {
      lastHeardNanos = System.nanoTime();
      return refuse(Envelope.of(DataPlaneWire.OPEN, MessageType.EVENT, new byte[0]), ErrorCode.TOO_LARGE,
          "Frame of " + oversize.length() + " bytes exceeds the limit of " + oversize.limit() + " bytes");
    }
    if (event instanceof DataPlaneServer.Closed closed) {
      if (closed.malformed()) {
        return terminateBadRenderer("data plane: " + closed.reason());
      }
      reportDisconnect("data plane closed: " + closed.reason());
      return Behaviors.stopped();
    }
    return this;
  }

  /** One batch read from the socket: each envelope through the unchanged checks, in order. */
  private Behavior<ToMain> onArrived(DataPlaneServer.Session session) {
    int done = 0;
    try {
      for (Envelope envelope : session.take()) {
        if (dataPlane.hold(envelope)) {
          continue;
        }
        Behavior<ToMain> next = DataPlaneWire.isControl(envelope)
            ? refuse(envelope, ErrorCode.VALIDATION, "Data-plane control messages go over Artery")
            : onEnvelope(envelope);
        done++;
        if (next != this) {
          // Stopping (a bad renderer, a closed connection): the rest of the batch goes with it.
          return next;
        }
      }
      return this;
    } finally {
      // Once per batch: a reader blocked on max-in-flight wakes once, not per envelope.
      session.processed(done);
    }
  }

  static MessageType typeFor(Channel<?, ?> channel) {
    if (channel.equals(Channels.SYSTEM_EVENT)) {
      return MessageType.SYSTEM_EVENT;
    }
    if (channel.equals(Channels.STATE_SYNC)) {
      return MessageType.STATE_UPDATE;
    }
    return channel.direction() == Direction.INVOKE ? MessageType.COMMAND : MessageType.EVENT;
  }
}
