package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.state.StateResync;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The renderer client against a test main over real Artery remoting (two actor systems). */
@ExtendWith(LogCapturingExtension.class)
class IpcRendererTest {
  record Echo(String text) {}

  record Num(int n) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("test:echo", Echo.class, Echo.class);
  static final Channel<Echo, Echo> FAIL = Channel.invoke("test:fail", Echo.class, Echo.class);
  static final Channel<Echo, Echo> SILENT = Channel.invoke("test:silent", Echo.class, Echo.class);
  static final Channel<Echo, Void> REFUSE = Channel.rendererToMain("test:refuse", Echo.class);
  static final Channel<Echo, Void> NEWS = Channel.mainToRenderer("test:news", Echo.class);
  static final Channel<Echo, Void> END = Channel.mainToRenderer("test:end", Echo.class);
  static final Channel<Num, Num> DOUBLE = Channel.invoke("test:double", Num.class, Num.class);

  static ActorTestKit main;
  static ActorTestKit renderer;
  static final AtomicInteger gateways = new AtomicInteger();
  final List<IpcRenderer> opened = new ArrayList<>();

  @BeforeAll
  static void startSystems() {
    main = ActorTestKit.create("edge", TestMain.config());
    renderer = ActorTestKit.create("renderer", RendererConfig.systemConfig(TestMain.config()));
  }

  @AfterAll
  static void stopSystems() {
    renderer.shutdownTestKit();
    main.shutdownTestKit();
  }

  @AfterEach
  void closeRenderers() {
    opened.forEach(IpcRenderer::close);
  }

  /** A connected renderer, the Hello main got, and what main's connection received. */
  record Connected(IpcRenderer ipc, Hello hello, TestProbe<Object> fromRenderer) {}

  private String startGateway(TestMain.Settings settings, TestProbe<Hello> hellos, TestProbe<Object> fromRenderer) {
    ActorRef<ToGateway> gateway = main.spawn(
        TestMain.gateway(settings, hellos.ref(), fromRenderer.ref()), "gateway-" + gateways.incrementAndGet());
    return gateway.path().toStringWithAddress(main.system().address());
  }

  private ConnectOptions options(String gatewayPath, String secret) {
    return ConnectOptions.of(renderer.system(), gatewayPath, "renderer-1", secret)
        .withHandshakeTimeout(Duration.ofSeconds(5));
  }

  private Connected connect(TestMain.Settings settings) {
    return connect(settings, o -> o);
  }

  private Connected connect(TestMain.Settings settings, java.util.function.UnaryOperator<ConnectOptions> tweak) {
    return connect(settings, tweak, r -> { });
  }

  private Connected connect(TestMain.Settings settings, java.util.function.UnaryOperator<ConnectOptions> tweak,
      java.util.function.Consumer<IpcRenderer> setUp) {
    TestProbe<Hello> hellos = main.createTestProbe();
    TestProbe<Object> fromRenderer = main.createTestProbe();
    String path = startGateway(settings, hellos, fromRenderer);
    IpcRenderer ipc = await(IpcRenderer.connect(renderer.system(), tweak.apply(options(path, TestMain.SECRET)), setUp));
    opened.add(ipc);
    return new Connected(ipc, hellos.expectMessageClass(Hello.class), fromRenderer);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("Expected success but got " + e, e);
    }
  }

  private static IpcError failureOf(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(15, TimeUnit.SECONDS));
    assertTrue(rootOf(e) instanceof IpcException, "expected an IpcException, got " + rootOf(e));
    return IpcException.errorOf(e);
  }

  private static Throwable rootOf(Throwable t) {
    Throwable c = t;
    while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  // --- handshake -------------------------------------------------------------------------------

  @Test
  void shouldConnectWhenTheGatewayWelcomes() {
    Connected c = connect(TestMain.Settings.welcoming(null));

    assertEquals("renderer-1", c.ipc().rendererId());
    assertEquals("standard", c.ipc().capability());
    assertEquals("default", c.ipc().profileId());
    assertEquals("renderer-1", c.hello().rendererId());
    assertEquals(TestMain.SECRET, c.hello().secret());
    assertEquals(Hello.PROTOCOL_VERSION, c.hello().protocolVersion());
    assertTrue(c.ipc().isConnected());
  }

  @Test
  void shouldFailWithTheGatewaysErrorWhenRefused() {
    TestProbe<Hello> hellos = main.createTestProbe();
    TestProbe<Object> fromRenderer = main.createTestProbe();
    String path = startGateway(TestMain.Settings.welcoming(null), hellos, fromRenderer);

    IpcError error = failureOf(IpcRenderer.connect(renderer.system(), options(path, "wrong-secret")));

    assertEquals(ErrorCode.PERMISSION, error.code());
    assertEquals("Unknown launch secret", error.message());
  }

  @Test
  void shouldFailWithConnectionWhenNoGatewayAnswers() {
    String path = main.system().address() + "/user/no-such-gateway";

    IpcError error = failureOf(IpcRenderer.connect(renderer.system(),
        options(path, TestMain.SECRET).withHandshakeTimeout(Duration.ofMillis(1500))));

    assertEquals(ErrorCode.CONNECTION, error.code());
  }

  // --- invoke and send -------------------------------------------------------------------------

  @Test
  void shouldCompleteInvokeWithMainsReply() {
    Connected c = connect(TestMain.Settings.welcoming(null));

    assertEquals(new Echo("hello"), await(c.ipc().invoke(ECHO, new Echo("hello"))));

    Envelope request = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(MessageType.COMMAND, request.type());
    assertNull(request.inReplyTo());
  }

  @Test
  void shouldCarryEnvelopesAboveOneArteryFrameInParts() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    String large = "z".repeat(1 << 20);

    // Request and reply are each four times Artery's 256 KiB frame, which would drop them whole.
    assertEquals(new Echo(large), await(c.ipc().invoke(ECHO, new Echo(large))));
    Envelope request = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(new Echo(large), PayloadCodec.decode(request.payload(), Echo.class));
    // Small ones still go whole, after it.
    assertEquals(new Echo("small"), await(c.ipc().invoke(ECHO, new Echo("small"))));

    IpcError tooLarge = failureOf(c.ipc().invoke(ECHO, new Echo("z".repeat(3 << 20))));
    assertEquals(ErrorCode.TOO_LARGE, tooLarge.code());
  }

  @Test
  void shouldPassUntypedJsonThroughUnchanged() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    JsonNode payload = PayloadCodec.parseJson("{\"text\":\"hi\",\"extra\":[1,2]}");

    JsonNode reply = await(c.ipc().invoke("test:echo", payload));

    assertEquals(payload, reply);
  }

  @Test
  void shouldFailInvokeWithMainsTypedError() {
    Connected c = connect(TestMain.Settings.welcoming(null));

    IpcError error = failureOf(c.ipc().invoke(FAIL, new Echo("x")));

    assertEquals(ErrorCode.VALIDATION, error.code());
    assertEquals("payload refused", error.message());
    assertEquals("test:fail", error.channel());
  }

  @Test
  void shouldReturnTheReplyOrThrowTheTypedErrorFromInvokeSyncOverArtery() {
    Connected c = connect(TestMain.Settings.welcoming(null));

    assertEquals(new Echo("sync"), c.ipc().invokeSync(ECHO, new Echo("sync")));
    IpcException refused = assertThrows(IpcException.class, () -> c.ipc().invokeSync(FAIL, new Echo("x")));
    assertEquals(ErrorCode.VALIDATION, refused.error().code());
    assertEquals("payload refused", refused.error().message());
    IpcException silent = assertThrows(IpcException.class, () -> c.ipc().invokeSync(SILENT, new Echo("x"), Duration.ofMillis(300)));
    assertEquals(ErrorCode.TIMEOUT, silent.error().code());
  }

  @Test
  void shouldSpinForTheConfiguredTimeOnlyWithMoreThanOneProcessor() {
    com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.parseString("browseros.renderer.invoke-sync-spin = 150us");
    long expected = Runtime.getRuntime().availableProcessors() > 1 ? 150_000 : 0;
    assertEquals(expected, IpcRenderer.syncSpin(config));
    assertEquals(0, IpcRenderer.syncSpin(com.typesafe.config.ConfigFactory.parseString("browseros.renderer.invoke-sync-spin = 0s")));
    assertEquals(0, IpcRenderer.syncSpin(com.typesafe.config.ConfigFactory.empty()));
    long shipped = com.typesafe.config.ConfigFactory.load().getDuration("browseros.renderer.invoke-sync-spin").toNanos();
    assertEquals(Runtime.getRuntime().availableProcessors() > 1 ? shipped : 0, IpcRenderer.syncSpin(com.typesafe.config.ConfigFactory.load()));
  }

  @Test
  void shouldTimeOutAnInvokeThatGetsNoReplyWhileHeartbeatsKeepTheConnection() {
    // Heartbeats every 100 ms are acked, so the second it waits outlives many heartbeat intervals.
    Connected c = connect(new TestMain.Settings(null, 100, true, null), o -> o.withMissedHeartbeats(2));

    IpcError error = failureOf(c.ipc().invoke(SILENT, new Echo("x"), Duration.ofSeconds(1)));

    assertEquals(ErrorCode.TIMEOUT, error.code());
    assertTrue(c.ipc().isConnected());
    assertEquals(new Echo("still"), await(c.ipc().invoke(ECHO, new Echo("still"))));
  }

  @Test
  void shouldSendOneWayAndReportMainsRefusal() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    TestProbe<IpcError> errors = renderer.createTestProbe();
    c.ipc().onError(errors.ref()::tell);

    c.ipc().send(REFUSE, new Echo("psst"));

    Envelope sent = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(MessageType.EVENT, sent.type());
    assertEquals(new Echo("psst"), PayloadCodec.decode(sent.payload(), Echo.class));
    IpcError error = errors.expectMessageClass(IpcError.class);
    assertEquals(ErrorCode.PERMISSION, error.code());
    assertEquals(sent.id(), error.requestId());
  }

  // --- listeners -------------------------------------------------------------------------------

  @Test
  void shouldDeliverPushesToOnAndOnceButNotToRemovedListeners() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    TestProbe<String> heard = renderer.createTestProbe();
    Subscription removed = c.ipc().on(NEWS, e -> heard.ref().tell("removed:" + e.text()));
    c.ipc().on(NEWS, e -> heard.ref().tell("on:" + e.text()));
    c.ipc().once(NEWS, e -> heard.ref().tell("once:" + e.text()));
    c.ipc().on(END, e -> heard.ref().tell("end"));
    c.ipc().removeListener(removed);

    for (String text : List.of("1", "2", "3")) {
      c.hello().renderer().tell(Envelope.of(NEWS.name(), MessageType.EVENT, PayloadCodec.encode(new Echo(text))));
    }
    c.hello().renderer().tell(Envelope.of(END.name(), MessageType.EVENT, PayloadCodec.encode(new Echo(""))));

    // Listeners run in arrival order, so the whole sequence is deterministic.
    assertEquals(List.of("on:1", "once:1", "on:2", "on:3", "end"), heard.receiveSeveralMessages(5));
  }

  @Test
  void shouldStopDeliveringAfterRemoveAllListeners() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    TestProbe<String> heard = renderer.createTestProbe();
    c.ipc().on(NEWS, e -> heard.ref().tell("news:" + e.text()));
    c.ipc().on(END, e -> heard.ref().tell("end"));
    TestProbe<String> raw = renderer.createTestProbe();
    c.ipc().onEnvelope(e -> raw.ref().tell(e.channel()));

    c.ipc().removeAllListeners(NEWS.name());
    c.hello().renderer().tell(Envelope.of(NEWS.name(), MessageType.EVENT, PayloadCodec.encode(new Echo("x"))));
    c.hello().renderer().tell(Envelope.of(END.name(), MessageType.EVENT, PayloadCodec.encode(new Echo(""))));

    assertEquals("end", heard.receiveMessage());
    assertEquals(List.of("test:news", "test:end"), raw.receiveSeveralMessages(2));
  }

  // --- main invokes the renderer ---------------------------------------------------------------

  @Test
  void shouldAnswerMainsInvokeWithTheHandlersReply() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    c.ipc().handle(DOUBLE, num -> new Num(num.n() * 2));

    Envelope request = Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(21)));
    c.hello().renderer().tell(request);

    Envelope reply = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(MessageType.COMMAND, reply.type());
    assertEquals(request.id(), reply.inReplyTo());
    assertEquals(new Num(42), PayloadCodec.decode(reply.payload(), Num.class));
  }

  @Test
  void shouldAnswerAnInvokeSentWithTheWelcomeFromAHandlerRegisteredBeforeTheHello() {
    Envelope request = Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(21)));

    // A slow set-up (an application loading its handlers): main still sees the renderer only after it.
    Connected c = connect(new TestMain.Settings(null, 200, true, null, request), o -> o, r -> {
      sleep(300);
      r.handle(DOUBLE, num -> new Num(num.n() * 2));
    });

    Envelope reply = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(request.id(), reply.inReplyTo());
    assertEquals(MessageType.COMMAND, reply.type(), () -> "an answer, not " + PayloadCodec.decode(reply.payload(), IpcError.class));
    assertEquals(new Num(42), PayloadCodec.decode(reply.payload(), Num.class));
  }

  @Test
  void shouldRefuseCallsBeforeTheHelloAndNotConnectWhenSetUpThrows() {
    TestProbe<Hello> hellos = main.createTestProbe();
    TestProbe<Object> fromRenderer = main.createTestProbe();
    String path = startGateway(TestMain.Settings.welcoming(null), hellos, fromRenderer);
    List<CompletionStage<Echo>> early = new ArrayList<>();

    IpcRenderer ipc = await(IpcRenderer.connect(renderer.system(), options(path, TestMain.SECRET), r -> {
      early.add(r.invoke(ECHO, new Echo("too early")));
      IpcException sent = assertThrows(IpcException.class, () -> r.send(REFUSE, new Echo("too early")));
      assertEquals(ErrorCode.CONNECTION, sent.error().code());
    }));
    opened.add(ipc);
    assertEquals(ErrorCode.CONNECTION, failureOf(early.get(0)).code());
    hellos.expectMessageClass(Hello.class);

    TestProbe<Hello> otherHellos = main.createTestProbe();
    String otherPath = startGateway(TestMain.Settings.welcoming(null), otherHellos, main.createTestProbe());
    IpcError thrown = failureOf(IpcRenderer.connect(renderer.system(), options(otherPath, TestMain.SECRET), r -> {
      throw new IpcException(ErrorCode.VALIDATION, "bad set-up");
    }));
    assertEquals(ErrorCode.VALIDATION, thrown.code());
    otherHellos.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void shouldAnswerMainsInvokeFromAnAsyncHandler() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    c.ipc().handle(DOUBLE, num -> java.util.concurrent.CompletableFuture.supplyAsync(() -> new Num(num.n() + 1)));

    Envelope request = Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(1)));
    c.hello().renderer().tell(request);

    Envelope reply = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(new Num(2), PayloadCodec.decode(reply.payload(), Num.class));
  }

  @Test
  void shouldAnswerNotFoundWhenNoHandlerIsRegistered() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    c.ipc().handle(DOUBLE, num -> num);
    c.ipc().removeHandler(DOUBLE);

    Envelope request = Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(1)));
    c.hello().renderer().tell(request);

    Envelope reply = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(MessageType.ERROR, reply.type());
    assertEquals(request.id(), reply.inReplyTo());
    IpcError error = PayloadCodec.decode(reply.payload(), IpcError.class);
    assertEquals(ErrorCode.NOT_FOUND, error.code());
    assertEquals("No handler registered for 'test:double'", error.message());
  }

  @Test
  void shouldAnswerWithTheExceptionsMessageWhenTheHandlerThrows() {
    Connected c = connect(TestMain.Settings.welcoming(null));
    c.ipc().handle(DOUBLE, num -> {
      if (num.n() < 0) {
        throw new IpcException(ErrorCode.VALIDATION, "n must not be negative");
      }
      throw new IllegalStateException("boom");
    });

    c.hello().renderer().tell(Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(1))));
    IpcError thrown = PayloadCodec.decode(c.fromRenderer().expectMessageClass(Envelope.class).payload(), IpcError.class);
    c.hello().renderer().tell(Envelope.command(DOUBLE.name(), PayloadCodec.encode(new Num(-1))));
    IpcError typed = PayloadCodec.decode(c.fromRenderer().expectMessageClass(Envelope.class).payload(), IpcError.class);

    assertEquals(ErrorCode.INTERNAL, thrown.code());
    assertEquals("boom", thrown.message());
    assertEquals(ErrorCode.VALIDATION, typed.code());
    assertEquals("n must not be negative", typed.message());
  }

  // --- state replica ---------------------------------------------------------------------------

  @Test
  void shouldKeepTheReplicaInStepAndResyncAfterAGap() {
    WindowInfo w1 = new WindowInfo("w1", "Main", Bounds.DEFAULT, WindowState.NORMAL, true, List.of("t1"));
    TabInfo t1 = new TabInfo("t1", "w1", "https://example.org", "Example", false, false, false, false, true);
    StateSync initial = new StateSync(1, true,
        Map.of("windows/w1", PayloadCodec.toTree(w1), "tabs/t1", PayloadCodec.toTree(t1)), List.of());
    Connected c = connect(TestMain.Settings.welcoming(initial));
    StateReplica state = await(c.ipc().state().ready());
    TestProbe<Long> applied = renderer.createTestProbe();
    state.onChange(sync -> applied.ref().tell(sync.version()));

    assertEquals(1, state.version());
    assertEquals(w1, state.windows().get("w1"));
    assertEquals(t1, state.tabs().get("t1"));

    ActorRef<org.browseros.ipc.protocol.session.ToRenderer> to = c.hello().renderer();
    JsonNode homepage = PayloadCodec.parseJson("\"https://home\"");
    to.tell(stateUpdate(new StateSync(2, false, Map.of("settings/homepage", homepage), List.of("tabs/t1"))));
    to.tell(stateUpdate(new StateSync(2, false, Map.of("settings/homepage", PayloadCodec.parseJson("1")), List.of())));
    to.tell(stateUpdate(new StateSync(4, false, Map.of("settings/a", homepage), List.of())));
    to.tell(stateUpdate(new StateSync(5, false, Map.of("settings/b", homepage), List.of())));

    Envelope resync = c.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(Channels.STATE_RESYNC.name(), resync.channel());
    assertEquals(MessageType.EVENT, resync.type());
    assertEquals(new StateResync(2), PayloadCodec.decode(resync.payload(), StateResync.class));

    to.tell(stateUpdate(new StateSync(6, true, Map.of("settings/c", homepage), List.of())));

    assertEquals(List.of(2L, 6L), applied.receiveSeveralMessages(2));
    assertEquals(6, state.version());
    assertEquals(Map.of("settings/c", homepage), state.snapshot());
    assertEquals(Map.of("c", homepage), state.settings());
  }

  private static Envelope stateUpdate(StateSync sync) {
    return Envelope.of(Channels.STATE_SYNC.name(), MessageType.STATE_UPDATE, PayloadCodec.encode(sync));
  }

  // --- liveness and shutdown -------------------------------------------------------------------

  @Test
  void shouldFailPendingInvokesWithConnectionWhenHeartbeatsGoUnanswered() {
    Connected c = connect(new TestMain.Settings(null, 100, false, null), o -> o.withMissedHeartbeats(3));
    TestProbe<String> lost = renderer.createTestProbe();
    c.ipc().onDisconnect(() -> lost.ref().tell("lost"));

    IpcError error = failureOf(c.ipc().invoke(SILENT, new Echo("x"), Duration.ofSeconds(30)));

    assertEquals(ErrorCode.CONNECTION, error.code());
    assertEquals("lost", lost.receiveMessage());
    assertEquals(ErrorCode.CONNECTION, failureOf(c.ipc().invoke(ECHO, new Echo("again"))).code());
  }

  @Test
  void shouldSayGoodbyeOnClose() {
    Connected c = connect(TestMain.Settings.welcoming(null));

    c.ipc().close();

    c.fromRenderer().expectMessageClass(Goodbye.class);
    assertEquals(ErrorCode.CONNECTION, failureOf(c.ipc().invoke(ECHO, new Echo("late"))).code());
  }

}
