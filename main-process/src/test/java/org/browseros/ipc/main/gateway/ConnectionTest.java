package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class ConnectionTest {

  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final Channel<Echo, Void> NOTE = Channel.rendererToMain("app:note", Echo.class);
  static final Caller CALLER = new Caller("renderer-1", "default", "shell");
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofMillis(200), 3, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  TestCore core;
  TestAdmission admission;
  IpcMain ipcMain;
  TestProbe<ToRenderer> renderer;

  @BeforeEach
  void setUp() {
    core = new TestCore();
    admission = new TestAdmission();
    ipcMain = new IpcMain(Duration.ofSeconds(2));
    renderer = testKit.createTestProbe(ToRenderer.class);
  }

  private ActorRef<ToMain> connect() {
    return connect(SETTINGS);
  }

  private ActorRef<ToMain> connect(GatewaySettings settings) {
    ActorRef<ToMain> connection = testKit.spawn(
        Connection.create(CALLER, new ArteryOutbound(renderer.getRef()), core, ipcMain, admission, settings));
    Welcome welcome = renderer.expectMessageClass(Welcome.class);
    assertEquals("renderer-1", welcome.rendererId());
    assertEquals("shell", welcome.capability());
    assertEquals(connection, welcome.connection());
    return connection;
  }

  private Envelope invoke(ActorRef<ToMain> connection, String channel, Object payload) {
    Envelope request = Envelope.command(channel, PayloadCodec.encode(payload));
    connection.tell(request);
    Envelope reply = renderer.expectMessageClass(Envelope.class);
    assertEquals(request.id(), reply.inReplyTo());
    return reply;
  }

  private static IpcError error(Envelope reply) {
    assertEquals(MessageType.ERROR, reply.type(), "expected an error reply");
    return PayloadCodec.decode(reply.payload(), IpcError.class);
  }

  @Test
  void shouldWelcomeThenForwardStateAndSystemEvents() {
    connect();
    TestProbe<Object> unused = testKit.createTestProbe();
    renderer.awaitAssert(() -> {
      assertEquals(1, core.stateSubscribers.size());
      assertEquals(1, core.systemSubscribers.size());
      return null;
    });
    StateSync snapshot = new StateSync(3, true, Map.of("settings/theme", TextNode.valueOf("dark")), List.of());
    core.stateSubscribers.get(0).tell(snapshot);
    Envelope state = renderer.expectMessageClass(Envelope.class);
    assertEquals(MessageType.STATE_UPDATE, state.type());
    assertEquals("state:sync", state.channel());
    assertEquals(snapshot, PayloadCodec.decode(state.payload(), StateSync.class));

    core.publishSystemEvent(new SystemEvent(SystemEvent.LOW_MEMORY, null, "heap 95% used", Map.of(), 1L));
    Envelope system = renderer.expectMessageClass(Envelope.class);
    assertEquals(MessageType.SYSTEM_EVENT, system.type());
    assertEquals("system:event", system.channel());
    unused.expectNoMessage(Duration.ZERO);
  }

  @Test
  void shouldAnswerAnInvokeWithTheHandlersResult() {
    ipcMain.handle(ECHO, (event, payload) -> new Echo(payload.text() + " from " + event.rendererId()));
    ActorRef<ToMain> connection = connect();
    Envelope reply = invoke(connection, "app:echo", new Echo("hi"));
    assertEquals(MessageType.COMMAND, reply.type());
    assertEquals(new Echo("hi from renderer-1"), PayloadCodec.decode(reply.payload(), Echo.class));
  }

  @Test
  void shouldSendPushesAHandlerMakesToItsOwnRendererBeforeItsReply() {
    // Electron: event.sender.send inside ipcMain.handle arrives before the invoke resolves.
    ConnectionRegistry registry = new ConnectionRegistry(testKit.system().scheduler());
    ipcMain.handle(ECHO, (event, payload) -> {
      registry.push(event.rendererId(), NEWS, new Echo("pushed " + payload.text()));
      registry.pushToAll(NEWS, new Echo("broadcast " + payload.text()));
      return payload;
    });
    ActorRef<ToMain> connection = connect();
    registry.put("renderer-1", connection);
    Envelope request = Envelope.command("app:echo", PayloadCodec.encode(new Echo("a")));
    connection.tell(request);
    Envelope first = renderer.expectMessageClass(Envelope.class);
    Envelope second = renderer.expectMessageClass(Envelope.class);
    Envelope third = renderer.expectMessageClass(Envelope.class);
    assertEquals(new Echo("pushed a"), PayloadCodec.decode(first.payload(), Echo.class));
    assertEquals(new Echo("broadcast a"), PayloadCodec.decode(second.payload(), Echo.class));
    assertEquals(request.id(), third.inReplyTo(), "the reply after the pushes");

    // Outside a handler a push goes through the connection's mailbox, as before.
    registry.push("renderer-1", NEWS, new Echo("later"));
    assertEquals(new Echo("later"), PayloadCodec.decode(renderer.expectMessageClass(Envelope.class).payload(), Echo.class));
  }

  @Test
  void shouldRouteBuiltInChannelsToTheCoreWithTheAuthenticatedCaller() throws InterruptedException {
    ActorRef<ToMain> connection = connect();
    Envelope reply = invoke(connection, "window:create", new WindowCreate("Docs", null));
    assertEquals("Docs", PayloadCodec.decode(reply.payload(), WindowInfo.class).title());
    TestCore.Invocation invocation = core.invocations.poll(1, TimeUnit.SECONDS);
    assertEquals(Channels.WINDOW_CREATE, invocation.channel());
    assertEquals(CALLER, invocation.caller());
  }

  @Test
  void shouldReportAMissingHandlerLikeElectron() {
    ActorRef<ToMain> connection = connect();
    IpcError error = error(invoke(connection, "app:nobody", new Echo("x")));
    assertEquals(ErrorCode.NOT_FOUND, error.code());
    assertEquals("No handler registered for 'app:nobody'", error.message());
    assertEquals("app:nobody", error.channel());
  }

  @Test
  void shouldCarryTheMessageOfAThrowingHandler() {
    ipcMain.handle(ECHO, (event, payload) -> {
      throw new IllegalStateException("boom: " + payload.text());
    });
    ipcMain.handleAsync(Channel.invoke("app:async", Echo.class, Echo.class),
        (event, payload) -> CompletableFuture.failedFuture(new IllegalArgumentException("async boom")));
    ipcMain.handle(Channel.invoke("app:typed", Echo.class, Echo.class), (event, payload) -> {
      throw new IpcException(ErrorCode.CONFLICT, "already there");
    });
    ActorRef<ToMain> connection = connect();
    IpcError sync = error(invoke(connection, "app:echo", new Echo("x")));
    assertEquals(ErrorCode.INTERNAL, sync.code());
    assertEquals("boom: x", sync.message());
    assertEquals("async boom", error(invoke(connection, "app:async", new Echo("x"))).message());
    assertEquals(ErrorCode.CONFLICT, error(invoke(connection, "app:typed", new Echo("x"))).code());
  }

  @Test
  void shouldAnswerAHandleOnceHandlerOnlyOnce() {
    ipcMain.handleOnce(ECHO, (event, payload) -> payload);
    ActorRef<ToMain> connection = connect();
    assertEquals(MessageType.COMMAND, invoke(connection, "app:echo", new Echo("1")).type());
    assertEquals(ErrorCode.NOT_FOUND, error(invoke(connection, "app:echo", new Echo("2"))).code());
  }

  @Test
  void shouldHandleMessagesInTheOrderSentAcrossSendAndInvoke() {
    List<String> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Echo> slow = new CompletableFuture<>();
    ipcMain.handleAsync(Channel.invoke("app:slow", Echo.class, Echo.class), (event, payload) -> {
      seen.add("invoke " + payload.text());
      return slow;
    });
    ipcMain.on(NOTE, (event, payload) -> seen.add("send " + payload.text()));
    ActorRef<ToMain> connection = connect();
    connection.tell(Envelope.command("app:slow", PayloadCodec.encode(new Echo("1"))));
    connection.tell(Envelope.of("app:note", MessageType.EVENT, PayloadCodec.encode(new Echo("2"))));
    connection.tell(Envelope.command("app:slow", PayloadCodec.encode(new Echo("3"))));
    renderer.awaitAssert(() -> {
      assertEquals(List.of("invoke 1", "send 2", "invoke 3"), seen);
      return null;
    });
    slow.complete(new Echo("done"));
    assertEquals(new Echo("done"), PayloadCodec.decode(renderer.expectMessageClass(Envelope.class).payload(), Echo.class));
    assertEquals(new Echo("done"), PayloadCodec.decode(renderer.expectMessageClass(Envelope.class).payload(), Echo.class));
  }

  @Test
  void shouldCallOnceListenersOnceAndStopCallingRemovedListeners() {
    List<String> seen = new CopyOnWriteArrayList<>();
    ipcMain.once(NOTE, (event, payload) -> seen.add("once " + payload.text()));
    var subscription = ipcMain.on(NOTE, (event, payload) -> seen.add("on " + payload.text()));
    ActorRef<ToMain> connection = connect();
    connection.tell(Envelope.of("app:note", MessageType.EVENT, PayloadCodec.encode(new Echo("a"))));
    renderer.awaitAssert(() -> {
      assertEquals(List.of("once a", "on a"), seen);
      return null;
    });
    subscription.unsubscribe();
    assertEquals(0, ipcMain.listenerCount("app:note"));
    connection.tell(Envelope.of("app:note", MessageType.EVENT, PayloadCodec.encode(new Echo("b"))));
    renderer.expectNoMessage(Duration.ofMillis(100));
    assertEquals(List.of("once a", "on a"), seen);
  }

  @Test
  void shouldRefuseBadMessagesWithTypedErrors() {
    ipcMain.handle(ECHO, (event, payload) -> payload);
    ActorRef<ToMain> connection = connect();

    Envelope unknownField = Envelope.command("app:echo", PayloadCodec.encode(PayloadCodec.parseJson("{\"text\":\"x\",\"admin\":true}")));
    connection.tell(unknownField);
    assertEquals(ErrorCode.VALIDATION, error(renderer.expectMessageClass(Envelope.class)).code());

    Envelope tooLarge = Envelope.command("app:echo", PayloadCodec.encode(new Echo("x".repeat(2000))));
    connection.tell(tooLarge);
    IpcError large = error(renderer.expectMessageClass(Envelope.class));
    assertEquals(ErrorCode.TOO_LARGE, large.code());

    connection.tell(Envelope.command("Not A Channel", new byte[0]));
    assertEquals(ErrorCode.VALIDATION, error(renderer.expectMessageClass(Envelope.class)).code());

    connection.tell(Envelope.of("app:echo", MessageType.STATE_UPDATE, new byte[0]));
    assertEquals(ErrorCode.VALIDATION, error(renderer.expectMessageClass(Envelope.class)).code());

    IpcError broadcastInvoked = error(invoke(connection, "system:event", new Echo("x")));
    assertEquals(ErrorCode.VALIDATION, broadcastInvoked.code());

    // Still serving after all that.
    assertEquals(new Echo("ok"), PayloadCodec.decode(invoke(connection, "app:echo", new Echo("ok")).payload(), Echo.class));
  }

  @Test
  void shouldAnswerAResyncWithASnapshotRequest() throws InterruptedException {
    ActorRef<ToMain> connection = connect();
    connection.tell(Envelope.of("state:resync", MessageType.EVENT, PayloadCodec.encode(new org.browseros.ipc.protocol.state.StateResync(4))));
    ActorRef<StateSync> replyTo = core.snapshotRequests.poll(2, TimeUnit.SECONDS);
    replyTo.tell(new StateSync(9, true, Map.of(), List.of()));
    Envelope snapshot = renderer.expectMessageClass(Envelope.class);
    assertTrue(PayloadCodec.decode(snapshot.payload(), StateSync.class).snapshot());
  }

  @Test
  void shouldInvokeARendererAndTimeOutOrFailOnDisconnect() throws Exception {
    ConnectionRegistry registry = new ConnectionRegistry(testKit.system().scheduler());
    ActorRef<ToMain> connection = connect();
    registry.put("renderer-1", connection);

    var answered = registry.invoke("renderer-1", ECHO, new Echo("ping"), Duration.ofSeconds(2)).toCompletableFuture();
    Envelope request = renderer.expectMessageClass(Envelope.class);
    assertEquals(MessageType.COMMAND, request.type());
    assertNull(request.inReplyTo());
    connection.tell(request.reply(PayloadCodec.encode(new Echo("pong"))));
    assertEquals(new Echo("pong"), answered.get(2, TimeUnit.SECONDS));

    var timedOut = registry.invoke("renderer-1", ECHO, new Echo("ping"), Duration.ofMillis(200)).toCompletableFuture();
    renderer.expectMessageClass(Envelope.class);
    ExecutionException timeout = assertThrows(ExecutionException.class, () -> timedOut.get(3, TimeUnit.SECONDS));
    assertEquals(ErrorCode.TIMEOUT, ((IpcException) timeout.getCause()).code());

    var cut = registry.invoke("renderer-1", ECHO, new Echo("ping"), Duration.ofSeconds(5)).toCompletableFuture();
    renderer.expectMessageClass(Envelope.class);
    connection.tell(new Goodbye("bye"));
    ExecutionException disconnected = assertThrows(ExecutionException.class, () -> cut.get(3, TimeUnit.SECONDS));
    assertEquals(ErrorCode.CONNECTION, ((IpcException) disconnected.getCause()).code());

    ExecutionException unknown = assertThrows(ExecutionException.class,
        () -> registry.invoke("renderer-9", ECHO, new Echo("x"), Duration.ofSeconds(1)).toCompletableFuture().get());
    assertEquals(ErrorCode.NOT_FOUND, ((IpcException) unknown.getCause()).code());
  }

  @Test
  void shouldAckHeartbeatsAndCloseASilentConnection() throws InterruptedException {
    ActorRef<ToMain> connection = connect();
    connection.tell(new Heartbeat(1, 42, 0));
    assertEquals(new HeartbeatAck(1, 42), renderer.expectMessageClass(HeartbeatAck.class));
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(connection, Duration.ofSeconds(3));
    assertEquals("renderer-1: " + Admission.HEARTBEAT_TIMEOUT, admission.disconnected.poll(1, TimeUnit.SECONDS));
    assertTrue(core.stateSubscribers.isEmpty(), "a closed connection unsubscribes from state");
  }

  @Test
  void shouldReportAGoodbyeOnce() throws InterruptedException {
    ActorRef<ToMain> connection = connect();
    connection.tell(new Goodbye("closing window"));
    testKit.createTestProbe().expectTerminated(connection, Duration.ofSeconds(2));
    assertEquals("renderer-1: goodbye: closing window", admission.disconnected.poll(1, TimeUnit.SECONDS));
    assertNull(admission.disconnected.poll(200, TimeUnit.MILLISECONDS));
  }

  // ---- flow control -------------------------------------------------------------------------------

  /** Soft limit 4, low water 1, hard limit 8; heartbeats every second so silence does not interfere. */
  static final GatewaySettings FLOW = new GatewaySettings(Duration.ofSeconds(1), 5, 1024, Duration.ofSeconds(2),
      Duration.ofSeconds(2)).withFlowControl(new FlowControl(4, 1, 8));

  static final Channel<Echo, Void> NEWS = Channel.mainToRenderer("app:news", Echo.class);

  private ConnectionFigures register(ConnectionRegistry registry, ActorRef<ToMain> connection) {
    registry.put("renderer-1", connection);
    renderer.awaitAssert(() -> {
      assertTrue(registry.figures("renderer-1").isPresent());
      assertEquals(1, core.stateSubscribers.size());
      return null;
    });
    return registry.figures("renderer-1").orElseThrow();
  }

  private void push(ConnectionRegistry registry, String text) {
    registry.push("renderer-1", NEWS, new Echo(text));
  }

  private String pushed(Envelope envelope) {
    assertEquals("app:news", envelope.channel());
    return PayloadCodec.decode(envelope.payload(), Echo.class).text();
  }

  @Test
  void shouldCountTheLagFromWhatTheRendererReportsProcessed() {
    ConnectionRegistry registry = new ConnectionRegistry(testKit.system().scheduler());
    ConnectionFigures figures = register(registry, connect(FLOW));
    ActorRef<ToMain> connection = registry.get("renderer-1").orElseThrow();
    for (int i = 1; i <= 3; i++) {
      push(registry, "n" + i);
      assertEquals("n" + i, pushed(renderer.expectMessageClass(Envelope.class)));
    }
    assertEquals(3, figures.queueDepth());
    connection.tell(new Heartbeat(1, 0, 2));
    renderer.expectMessageClass(HeartbeatAck.class);
    assertEquals(1, figures.queueDepth(), "3 sent, 2 processed");
    // A renderer cannot claim more than it was sent.
    connection.tell(new Heartbeat(2, 0, 1000));
    renderer.expectMessageClass(HeartbeatAck.class);
    assertEquals(0, figures.queueDepth());
    // Kept up with: a steady stream well past the soft limit is all delivered.
    for (int i = 4; i <= 12; i++) {
      push(registry, "n" + i);
      assertEquals("n" + i, pushed(renderer.expectMessageClass(Envelope.class)));
      connection.tell(new Heartbeat(i, 0, i));
      renderer.expectMessageClass(HeartbeatAck.class);
    }
    assertEquals(0, figures.dropped());
    assertTrue(figures.heartbeatAgeMillis() < 1000);
    RendererList described = registry.describe(new RendererList(List.of(
        new RendererInfo("renderer-1", ProcessHandle.current().pid(), "shell", "connected", 0, "default"),
        new RendererInfo("renderer-2", null, "shell", "starting", 0, "default"))));
    RendererInfo live = described.renderers().get(0);
    assertEquals(0L, live.queueDepth());
    assertEquals(0L, live.dropped());
    assertTrue(live.heartbeatAgeMillis() >= 0);
    assertTrue(live.rssBytes() != null && live.rssBytes() > 1_000_000, "this JVM's VmRSS: " + live.rssBytes());
    assertEquals(new RendererInfo("renderer-2", null, "shell", "starting", 0, "default"), described.renderers().get(1));
  }

  @Test
  void shouldWithholdAndCoalesceWhileBehindAndSendOneSnapshotOnCatchingUp() throws Exception {
    ConnectionRegistry registry = new ConnectionRegistry(testKit.system().scheduler());
    ConnectionFigures figures = register(registry, connect(FLOW));
    ActorRef<ToMain> connection = registry.get("renderer-1").orElseThrow();
    ActorRef<StateSync> hub = core.stateSubscribers.get(0);
    // The renderer stops reporting: the fifth unreported envelope puts it over the soft limit.
    for (int i = 1; i <= 5; i++) {
      push(registry, "n" + i);
      assertEquals("n" + i, pushed(renderer.expectMessageClass(Envelope.class)));
    }
    renderer.awaitAssert(() -> {
      assertTrue(figures.behind());
      return null;
    });
    push(registry, "dropped");
    registry.pushToAll(NEWS, new Echo("dropped too"));
    hub.tell(new StateSync(1, false, Map.of("a", TextNode.valueOf("1")), List.of()));
    hub.tell(new StateSync(2, false, Map.of("a", TextNode.valueOf("2")), List.of()));
    core.publishSystemEvent(new SystemEvent(SystemEvent.LOW_MEMORY, null, "x", Map.of(), 1L));
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> registry.invoke("renderer-1", ECHO, new Echo("ping"), Duration.ofSeconds(2)).toCompletableFuture()
            .get(3, TimeUnit.SECONDS));
    assertEquals(ErrorCode.CONNECTION, ((IpcException) refused.getCause()).code());
    // Its own invokes are still answered, and the answer is the next thing it gets.
    Envelope reply = invoke(connection, "window:create", new WindowCreate("Docs", null));
    assertEquals("Docs", PayloadCodec.decode(reply.payload(), WindowInfo.class).title());
    renderer.awaitAssert(() -> {
      assertEquals(4, figures.dropped(), "two pushes, a system event and an invoke");
      return null;
    });
    assertEquals(6, figures.queueDepth());
    assertTrue(core.snapshotRequests.isEmpty());

    connection.tell(new Heartbeat(1, 0, 6));
    renderer.expectMessageClass(HeartbeatAck.class);
    ActorRef<StateSync> snapshotTo = core.snapshotRequests.poll(3, TimeUnit.SECONDS);
    // A delta the hub sent before our snapshot request is covered by the snapshot: not sent.
    snapshotTo.tell(new StateSync(3, false, Map.of("a", TextNode.valueOf("3")), List.of()));
    snapshotTo.tell(new StateSync(3, true, Map.of("a", TextNode.valueOf("3")), List.of()));
    Envelope snapshot = renderer.expectMessageClass(Envelope.class);
    assertEquals(new StateSync(3, true, Map.of("a", TextNode.valueOf("3")), List.of()),
        PayloadCodec.decode(snapshot.payload(), StateSync.class));
    assertTrue(!figures.behind());
    // Back to normal: deltas and pushes flow again.
    hub.tell(new StateSync(4, false, Map.of("a", TextNode.valueOf("4")), List.of()));
    assertEquals(4, PayloadCodec.decode(renderer.expectMessageClass(Envelope.class).payload(), StateSync.class).version());
    push(registry, "again");
    assertEquals("again", pushed(renderer.expectMessageClass(Envelope.class)));
  }

  @Test
  void shouldCloseAConnectionPastTheHardLimit() throws InterruptedException {
    ActorRef<ToMain> connection = connect(FLOW);
    // A renderer that invokes but never reports reading the replies: answered up to the hard limit.
    for (int i = 1; i <= 8; i++) {
      invoke(connection, "window:create", new WindowCreate("w" + i, null));
    }
    assertNull(admission.disconnected.poll(100, TimeUnit.MILLISECONDS));
    connection.tell(Envelope.command("window:create", PayloadCodec.encode(new WindowCreate("w9", null))));
    renderer.expectMessageClass(Envelope.class);
    testKit.createTestProbe().expectTerminated(connection, Duration.ofSeconds(3));
    assertEquals("renderer-1: " + Admission.HEARTBEAT_TIMEOUT, admission.disconnected.poll(1, TimeUnit.SECONDS));
  }
}
