package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client's reconnect state machine against a scripted main that can go silent (link lost, main
 * down) and come back as the same or as a restarted instance.
 */
@ExtendWith(LogCapturingExtension.class)
class RendererReconnectTest {

  record Text(String text) {}

  static final Channel<Text, Text> READ = Channel.invoke("test:read", Text.class, Text.class).idempotent();
  static final Channel<Text, Text> WRITE = Channel.invoke("test:write", Text.class, Text.class);

  static ActorTestKit main;
  static ActorTestKit renderer;
  static final AtomicInteger gateways = new AtomicInteger();
  final List<IpcRenderer> opened = new ArrayList<>();

  /** A main that welcomes with rotating resume tokens, answers test:* by echo, and can go down. */
  static final class ScriptedMain {
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicReference<String> instance = new AtomicReference<>("main-a");
    final AtomicInteger tokens = new AtomicInteger();
    final AtomicBoolean refuse = new AtomicBoolean();
    /** Hellos refused with TIMEOUT first, as a main still starting would. */
    final AtomicInteger transientRefusals = new AtomicInteger();
    /** Request id to how often main ran it (a real main's request log would dedup; this one counts). */
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final TestProbe<Hello> hellos = main.createTestProbe();

    Behavior<ToGateway> gateway() {
      return Behaviors.setup(ctx -> Behaviors.receive(ToGateway.class)
          .onMessage(Hello.class, hello -> {
            if (down.get()) {
              return Behaviors.same();
            }
            hellos.getRef().tell(hello);
            if (transientRefusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              hello.renderer().tell(new Refused(IpcError.of(ErrorCode.TIMEOUT, "supervisor did not answer in time")));
              return Behaviors.same();
            }
            if (refuse.get()) {
              hello.renderer().tell(new Refused(IpcError.of(ErrorCode.PERMISSION, "authentication refused")));
              return Behaviors.same();
            }
            ActorRef<ToMain> connection = ctx.spawnAnonymous(connection(hello));
            hello.renderer().tell(new Welcome(hello.rendererId(), "standard", "default", connection, 100,
                "token-" + tokens.incrementAndGet(), instance.get()));
            return Behaviors.same();
          })
          .build());
    }

    private Behavior<ToMain> connection(Hello hello) {
      return Behaviors.receive(ToMain.class)
          .onMessage(Heartbeat.class, hb -> {
            if (!down.get()) {
              hello.renderer().tell(new HeartbeatAck(hb.seq(), hb.sentAtNanos()));
            }
            return Behaviors.same();
          })
          .onMessage(Envelope.class, e -> {
            if (!down.get() && e.isRequest()) {
              if (org.browseros.ipc.protocol.dataplane.DataPlaneWire.isControl(e)) {
                // This scripted main offers no data plane: the client stays on Artery.
                hello.renderer().tell(e.replyError(IpcError.of(ErrorCode.NOT_FOUND, "no data plane")));
                return Behaviors.same();
              }
              runs.computeIfAbsent(e.id(), id -> new AtomicInteger()).incrementAndGet();
              hello.renderer().tell(e.reply(e.payload()));
            }
            return Behaviors.same();
          })
          .onAnyMessage(m -> Behaviors.same())
          .build();
    }
  }

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

  private IpcRenderer connect(ScriptedMain scripted, ConnectOptions.Reconnect reconnect) {
    ActorRef<ToGateway> gateway = main.spawn(scripted.gateway(), "gateway-" + gateways.incrementAndGet());
    String path = gateway.path().toStringWithAddress(main.system().address());
    ConnectOptions options = ConnectOptions.of(renderer.system(), path, "renderer-1", "launch-secret")
        .withHandshakeTimeout(Duration.ofSeconds(5))
        .withMissedHeartbeats(2)
        .withInvokeTimeout(Duration.ofSeconds(10))
        .withReconnect(reconnect);
    IpcRenderer ipc = await(IpcRenderer.connect(renderer.system(), options));
    opened.add(ipc);
    assertEquals("launch-secret", scripted.hellos.expectMessageClass(Hello.class).secret());
    return ipc;
  }

  private static ConnectOptions.Reconnect reconnect(Duration giveUpAfter, int maxQueued) {
    return new ConnectOptions.Reconnect(Duration.ofMillis(50), Duration.ofMillis(200), 0.2, giveUpAfter, maxQueued, 3);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(20);
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
    return IpcException.errorOf(e);
  }

  @Test
  void shouldResumeWithTheTokenAndCompleteQueuedAndIdempotentInvokesButNotRerunWritesOnARestartedMain()
      throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(10), 100));
    CompletableFuture<Boolean> reconnected = new CompletableFuture<>();
    ipc.onReconnect(reconnected::complete);

    scripted.down.set(true);
    // In flight when the link drops: main never answers them.
    CompletionStage<Text> read = ipc.invoke(READ, new Text("read"));
    CompletionStage<Text> write = ipc.invoke(WRITE, new Text("write"));
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    assertTrue(ipc.isConnected(), "still usable while reconnecting");
    // Issued while reconnecting: waits for the link.
    CompletionStage<Text> queued = ipc.invoke(WRITE, new Text("queued"));

    scripted.instance.set("main-b");
    scripted.down.set(false);
    Hello resume = scripted.hellos.expectMessageClass(Hello.class, Duration.ofSeconds(10));
    assertEquals("token-1", resume.secret(), "reconnects with the resume token of the last Welcome");
    assertFalse(reconnected.get(10, TimeUnit.SECONDS), "a restarted main");

    assertEquals(new Text("read"), await(read));
    assertEquals(new Text("queued"), await(queued));
    IpcError lost = failureOf(write);
    assertEquals(ErrorCode.CONNECTION, lost.code());
    assertTrue(lost.message().contains("Outcome unknown"), lost.message());
    assertEquals("main-b", ipc.mainInstanceId());
    assertFalse(ipc.isReconnecting());
    scripted.runs.values().forEach(n -> assertEquals(1, n.get(), "each request ran once at the restarted main"));
  }

  @Test
  void shouldResendAnInFlightWriteUnderTheSameIdToTheSameMain() throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(10), 100));
    CompletableFuture<Boolean> reconnected = new CompletableFuture<>();
    ipc.onReconnect(reconnected::complete);

    scripted.down.set(true);
    CompletionStage<Text> write = ipc.invoke(WRITE, new Text("write"));
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    scripted.down.set(false);
    assertTrue(reconnected.get(10, TimeUnit.SECONDS), "the same main");
    assertEquals(new Text("write"), await(write));
    assertEquals(1, scripted.runs.size(), "re-sent under the same request id, for main to dedup");
  }

  @Test
  void shouldKeepTryingWhenAResumeHelloIsRefusedForAPassingReason() throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(10), 100));
    CompletableFuture<Boolean> reconnected = new CompletableFuture<>();
    ipc.onReconnect(reconnected::complete);
    scripted.down.set(true);
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    scripted.transientRefusals.set(2);
    scripted.down.set(false);
    assertTrue(reconnected.get(10, TimeUnit.SECONDS));
    assertEquals(new Text("after"), await(ipc.invoke(WRITE, new Text("after"))));
  }

  @Test
  void shouldFailPendingWithConnectionAndReportDisconnectedWhenNoMainTakesItBack() throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(1), 100));
    CompletableFuture<Void> disconnected = new CompletableFuture<>();
    ipc.onDisconnect(() -> disconnected.complete(null));

    scripted.down.set(true);
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    long start = System.nanoTime();
    CompletionStage<Text> queued = ipc.invoke(READ, new Text("never"));
    assertEquals(ErrorCode.CONNECTION, failureOf(queued).code());
    disconnected.get(10, TimeUnit.SECONDS);
    assertFalse(ipc.isConnected());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "gave up after give-up-after, not later");
  }

  @Test
  void shouldGiveUpAtOnceWhenMainRefusesTheResumeToken() throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(30), 100));
    CompletableFuture<Void> disconnected = new CompletableFuture<>();
    ipc.onDisconnect(() -> disconnected.complete(null));
    scripted.down.set(true);
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    scripted.refuse.set(true);
    scripted.down.set(false);
    disconnected.get(10, TimeUnit.SECONDS);
    assertEquals(ErrorCode.CONNECTION, failureOf(ipc.invoke(READ, new Text("x"))).code());
  }

  @Test
  void shouldBoundTheQueueAndTimeOutQueuedInvokesAtTheirOwnDeadline() throws Exception {
    ScriptedMain scripted = new ScriptedMain();
    IpcRenderer ipc = connect(scripted, reconnect(Duration.ofSeconds(30), 1));
    scripted.down.set(true);
    awaitTrue(ipc::isReconnecting, "client reconnecting");
    long start = System.nanoTime();
    CompletionStage<Text> first = ipc.invoke(WRITE, new Text("first"), Duration.ofMillis(700));
    CompletionStage<Text> second = ipc.invoke(WRITE, new Text("second"), Duration.ofSeconds(10));
    assertEquals(ErrorCode.CONNECTION, failureOf(second).code(), "over the bound: fails at once");
    assertEquals(ErrorCode.TIMEOUT, failureOf(first).code());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "ended by its own timeout");
  }
}
