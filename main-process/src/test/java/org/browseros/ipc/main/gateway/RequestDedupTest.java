package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.MessageTap;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A re-sent request id is answered from the renderer's request log, across connections, and runs once. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class RequestDedupTest {

  record Count(int n) {}

  static final Channel<Count, Count> ADD = Channel.invoke("app:add", Count.class, Count.class);
  static final Channel<Count, Count> OTHER = Channel.invoke("app:other", Count.class, Count.class);
  static final Caller CALLER = new Caller("renderer-1", "default", "shell");
  // Heartbeats are not under test here: a bound of 15 s, so that a test thread stalled on a busy
  // machine (700 ms was seen) does not find its connection closed for silence.
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofSeconds(5), 3, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  IpcMain ipcMain;
  TestProbe<ToRenderer> renderer;
  AtomicInteger calls;
  CompletableFuture<Count> result;
  RequestLog log;

  @BeforeEach
  void setUp() {
    ipcMain = new IpcMain(Duration.ofSeconds(2));
    renderer = testKit.createTestProbe(ToRenderer.class);
    calls = new AtomicInteger();
    result = new CompletableFuture<>();
    ipcMain.handleAsync(ADD, (event, payload) -> {
      calls.incrementAndGet();
      return result;
    });
    ipcMain.handle(OTHER, (event, payload) -> payload);
    log = new RequestLog();
  }

  private ActorRef<ToMain> connect(String token) {
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(CALLER, new ArteryOutbound(renderer.getRef()),
        new TestCore(), ipcMain, new TestAdmission(), SETTINGS, MessageTap.NONE, new Resumption(token, "main-a", log)));
    Welcome welcome = renderer.expectMessageClass(Welcome.class);
    assertEquals(token, welcome.resumeToken());
    assertEquals("main-a", welcome.mainInstanceId());
    return connection;
  }

  private Envelope nextReply() {
    while (true) {
      ToRenderer m = renderer.expectMessageClass(ToRenderer.class);
      if (m instanceof Envelope e && e.inReplyTo() != null) {
        return e;
      }
    }
  }

  @Test
  void shouldAnswerADuplicateOfAnInFlightRequestOnANewConnectionWithoutRunningItAgain() {
    Envelope request = Envelope.command(ADD.name(), PayloadCodec.encode(new Count(1)));
    ActorRef<ToMain> first = connect("token-1");
    first.tell(request);
    renderer.awaitAssert(() -> {
      assertEquals(1, calls.get());
      return null;
    });
    // The link drops before the reply: the renderer comes back on a new connection and re-sends.
    testKit.stop(first);
    ActorRef<ToMain> second = connect("token-2");
    second.tell(request);
    renderer.expectNoMessage(Duration.ofMillis(200));
    result.complete(new Count(42));
    Envelope reply = nextReply();
    assertEquals(request.id(), reply.inReplyTo());
    assertEquals(new Count(42), PayloadCodec.decode(reply.payload(), Count.class));

    // Once more after completion: the cached reply, still one run.
    second.tell(request);
    Envelope again = nextReply();
    assertEquals(request.id(), again.inReplyTo());
    assertEquals(new Count(42), PayloadCodec.decode(again.payload(), Count.class));
    assertEquals(1, calls.get());
  }

  @Test
  void shouldRefuseARequestIdReusedForAnotherChannel() {
    ActorRef<ToMain> connection = connect("token-1");
    result.complete(new Count(1));
    Envelope request = Envelope.command(ADD.name(), PayloadCodec.encode(new Count(1)));
    connection.tell(request);
    assertEquals(MessageType.COMMAND, nextReply().type());
    connection.tell(new Envelope(OTHER.name(), MessageType.COMMAND, PayloadCodec.encode(new Count(2)),
        System.currentTimeMillis(), request.id(), null));
    Envelope refused = nextReply();
    assertEquals(MessageType.ERROR, refused.type());
    assertEquals(ErrorCode.VALIDATION, PayloadCodec.decode(refused.payload(), IpcError.class).code());
    assertEquals(1, calls.get());
  }

  @Test
  void shouldKeepOnlySmallRepliesForDuplicatesAndRefuseARepeatOfALargeOneWithoutRunningIt() {
    log = new RequestLog(1024, Duration.ofMinutes(1), 1000, 10_000);
    ActorRef<ToMain> connection = connect("token-1");
    result.complete(new Count(7));
    Envelope small = Envelope.command(OTHER.name(), PayloadCodec.encode(new Count(1)));
    connection.tell(small);
    nextReply();
    assertTrue(log.retainedBytes() > 0, "a small reply is kept for a repeat");

    // A reply above the per-reply bound: only the fact that it ran is kept.
    log.record("big", ADD.name(), CompletableFuture.completedFuture(new Count(3)));
    log.replied("big", 5_000);
    long retained = log.retainedBytes();
    assertTrue(retained < 1000, "the large reply is not retained");
    connection.tell(new Envelope(ADD.name(), MessageType.COMMAND, PayloadCodec.encode(new Count(3)),
        System.currentTimeMillis(), "big", null));
    Envelope repeat = nextReply();
    assertEquals(MessageType.ERROR, repeat.type());
    assertEquals(ErrorCode.CONFLICT, PayloadCodec.decode(repeat.payload(), IpcError.class).code());
    assertEquals(0, calls.get(), "a repeat of a request that ran is never run again");

    // The byte budget: replies that fit one by one stop being kept once the total would pass it.
    for (int i = 0; i < 20; i++) {
      log.record("r" + i, ADD.name(), CompletableFuture.completedFuture(new Count(i)));
      log.replied("r" + i, 900);
    }
    assertTrue(log.retainedBytes() <= 10_000, "retained " + log.retainedBytes());
  }

  @Test
  void shouldForgetTheOldestRequestsBeyondItsCapacity() {
    RequestLog small = new RequestLog(2, Duration.ofMinutes(1));
    small.record("a", "app:add", CompletableFuture.completedFuture(1));
    small.record("b", "app:add", CompletableFuture.completedFuture(2));
    small.record("c", "app:add", CompletableFuture.completedFuture(3));
    assertTrue(small.earlier("a").isEmpty());
    assertTrue(small.earlier("c").isPresent());
    assertEquals(2, small.size());
    // Idempotent reads are not kept: running them again is harmless.
    small.record("d", "settings:get", CompletableFuture.completedFuture(4));
    assertTrue(small.earlier("d").isEmpty());
  }

  @Test
  void shouldForgetRequestsOlderThanItsMaxAge() throws InterruptedException {
    RequestLog shortLived = new RequestLog(1024, Duration.ofMillis(50));
    shortLived.record("a", "app:add", CompletableFuture.completedFuture(1));
    assertTrue(shortLived.earlier("a").isPresent());
    Thread.sleep(120);
    // A renderer re-sending after that long gets a new run, not a stale answer.
    assertTrue(shortLived.earlier("a").isEmpty());
    shortLived.record("b", "app:add", CompletableFuture.completedFuture(2));
    assertEquals(1, shortLived.size());
  }
}
