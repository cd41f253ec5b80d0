package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The renderer client on the data plane, against a test main that offers a Unix socket the way
 * main's connection does (offer over Artery, token frame, switch markers both ways): invokes and
 * sends written on the callers' threads, replies completed on the socket's reader thread.
 */
@ExtendWith(LogCapturingExtension.class)
class DataPlaneClientTest {
  record Num(int n) {}

  record Blob(byte[] data) {}

  static final Channel<Num, Num> ECHO = Channel.invoke("test:echo", Num.class, Num.class);
  static final Channel<Blob, Blob> ECHO_BLOB = Channel.invoke("test:echo", Blob.class, Blob.class);
  static final Channel<Num, Num> SILENT = Channel.invoke("test:silent", Num.class, Num.class);
  static final Channel<Num, Num> LATE = Channel.invoke("test:late", Num.class, Num.class);
  static final Channel<Num, Num> PUSH_THEN_REPLY = Channel.invoke("test:push-then-reply", Num.class, Num.class);
  static final Channel<Num, Void> SEQ = Channel.rendererToMain("test:seq", Num.class);
  static final Channel<Num, Void> NEWS = Channel.mainToRenderer("test:news", Num.class);
  static final int MAX_PAYLOAD = 8 * 1024;

  static ActorTestKit main;
  static ActorTestKit renderer;
  static final AtomicInteger gateways = new AtomicInteger();
  final List<IpcRenderer> opened = new ArrayList<>();
  final List<AutoCloseable> sockets = new CopyOnWriteArrayList<>();

  @TempDir
  Path dir;

  @BeforeAll
  static void startSystems() {
    main = ActorTestKit.create("edge", TestMain.config());
    renderer = ActorTestKit.create("renderer", RendererConfig.systemConfig(
        ConfigFactory.parseString("browseros.renderer.data-plane.max-payload-size = " + MAX_PAYLOAD)
            .withFallback(TestMain.config())));
  }

  @AfterAll
  static void stopSystems() {
    renderer.shutdownTestKit();
    main.shutdownTestKit();
  }

  @AfterEach
  void close() throws Exception {
    opened.forEach(IpcRenderer::close);
    for (AutoCloseable s : sockets) {
      s.close();
    }
  }

  /** What the test main received, in the order its connection handles it (Artery, then the socket after the marker). */
  final class Received {
    final List<Envelope> envelopes = new ArrayList<>();
    final List<Envelope> held = new ArrayList<>();
    int overSocket;
    boolean switched;
    int arteryHeartbeats;
    int socketHeartbeats;
    int arteryHeartbeatsAtSwitch = -1;
    // False: the test main stops acking heartbeats that come over the socket (a hung main).
    volatile boolean ackOverSocket = true;

    synchronized void arteryHeartbeat() {
      arteryHeartbeats++;
    }

    synchronized void socketHeartbeat() {
      socketHeartbeats++;
    }

    synchronized int socketHeartbeats() {
      return socketHeartbeats;
    }

    synchronized void artery(Envelope e) {
      envelopes.add(e);
    }

    synchronized void socket(Envelope e) {
      overSocket++;
      if (switched) {
        envelopes.add(e);
      } else {
        held.add(e);
      }
    }

    synchronized void rendererSwitched() {
      switched = true;
      arteryHeartbeatsAtSwitch = arteryHeartbeats;
      envelopes.addAll(held);
      held.clear();
    }

    synchronized List<Envelope> on(String channel) {
      return envelopes.stream().filter(e -> e.channel().equals(channel)).toList();
    }

    synchronized int overSocket() {
      return overSocket;
    }
  }

  private Behavior<ToGateway> gateway(Received received) {
    return Behaviors.setup(ctx -> Behaviors.receive(ToGateway.class)
        .onMessage(Hello.class, hello -> {
          ActorRef<ToMain> connection = ctx.spawnAnonymous(connection(hello.renderer(), received));
          hello.renderer().tell(new Welcome(hello.rendererId(), "standard", "default", connection, 200));
          return Behaviors.same();
        })
        .build());
  }

  private Behavior<ToMain> connection(ActorRef<ToRenderer> renderer, Received received) {
    return Behaviors.receive(ToMain.class)
        .onMessage(Heartbeat.class, hb -> {
          received.arteryHeartbeat();
          renderer.tell(new HeartbeatAck(hb.seq(), hb.sentAtNanos()));
          return Behaviors.same();
        })
        .onMessage(Goodbye.class, bye -> Behaviors.stopped())
        .onMessage(Envelope.class, e -> {
          if (e.channel().equals(DataPlaneWire.OPEN)) {
            renderer.tell(e.reply(PayloadCodec.encode(offer(renderer, received))));
          } else if (e.channel().equals(DataPlaneWire.SWITCH)) {
            received.rendererSwitched();
          } else {
            received.artery(e);
            answer(e, renderer::tell);
          }
          return Behaviors.same();
        })
        .build();
  }

  /** Listens on a fresh socket for the renderer; its first frame must be the token. */
  private DataPlaneOffer offer(ActorRef<ToRenderer> renderer, Received received) throws IOException {
    Path path = dir.resolve("ipc-" + gateways.get() + ".sock");
    String token = UUID.randomUUID().toString();
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    sockets.add(server);
    Thread acceptor = new Thread(() -> {
      try {
        SocketChannel channel = server.accept();
        FrameSocket socket = new FrameSocket(channel, 1024 * 1024, 16 * 1024 * 1024);
        sockets.add(socket);
        socket.start("test-main-reader", new FrameSocket.Handler() {
          boolean authenticated;

          @Override
          public void frame(ByteBuffer body) throws IOException {
            if (!authenticated) {
              assertEquals(token, DataPlaneWire.decodeToken(body));
              authenticated = true;
              // Main's marker goes over Artery before its first envelope on the socket.
              renderer.tell(DataPlaneWire.switchMarker());
              return;
            }
            if (DataPlaneWire.kind(body) == DataPlaneWire.KIND_HEARTBEAT) {
              // As main's connection does: acked over the socket.
              Heartbeat hb = DataPlaneWire.decodeHeartbeat(body);
              received.socketHeartbeat();
              if (received.ackOverSocket) {
                socket.send(DataPlaneWire.heartbeatAckFrame(new HeartbeatAck(hb.seq(), hb.sentAtNanos())));
              }
              return;
            }
            Envelope e = DataPlaneWire.decodeEnvelope(body);
            received.socket(e);
            answer(e, reply -> {
              try {
                socket.send(DataPlaneWire.envelopeFrame(reply));
              } catch (IOException ex) {
                // the renderer went away
              }
            });
          }

          @Override
          public void oversize(int length) {}

          @Override
          public void closed(String reason, boolean malformed) {}
        });
      } catch (IOException e) {
        // closed by the test
      }
    }, "test-main-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    return new DataPlaneOffer(path.toString(), token);
  }

  private static void answer(Envelope e, java.util.function.Consumer<Envelope> out) {
    if (!e.isRequest()) {
      return;
    }
    switch (e.channel()) {
      case "test:echo" -> out.accept(e.reply(e.payload()));
      case "test:late" -> CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> out.accept(e.reply(e.payload())));
      case "test:push-then-reply" -> {
        out.accept(Envelope.of(NEWS.name(), MessageType.EVENT, e.payload()));
        out.accept(e.reply(e.payload()));
      }
      case "test:silent" -> { }
      default -> out.accept(e.replyError(IpcError.of(ErrorCode.NOT_FOUND, "No such channel '" + e.channel() + "'")));
    }
  }

  private IpcRenderer connect(Received received) {
    ActorRef<ToGateway> gateway = main.spawn(gateway(received), "gateway-" + gateways.incrementAndGet());
    String path = gateway.path().toStringWithAddress(main.system().address());
    IpcRenderer ipc = await(IpcRenderer.connect(renderer.system(),
        ConnectOptions.of(renderer.system(), path, "renderer-1", TestMain.SECRET).withHandshakeTimeout(Duration.ofSeconds(10))));
    opened.add(ipc);
    return ipc;
  }

  /** Connects and waits until an invoke went over the socket. */
  private IpcRenderer connectOnDataPlane(Received received) {
    IpcRenderer ipc = connect(received);
    waitFor(() -> {
      await(ipc.invoke(ECHO, new Num(-1)));
      return received.overSocket() > 0;
    }, "an invoke over the data plane");
    return ipc;
  }

  private static void waitFor(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting for " + what);
      }
      Thread.onSpinWait();
    }
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("Expected success but got " + e, e);
    }
  }

  private static IpcError failureOf(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(20, TimeUnit.SECONDS));
    return IpcException.errorOf(e);
  }

  @Test
  void shouldKeepEachThreadsOrderOfSendsAndInvokesAcrossTheSwitch() throws Exception {
    Received received = new Received();
    IpcRenderer ipc = connect(received);
    int threads = 4;
    int perThread = 600;
    int[] issued = new int[threads];
    List<CompletableFuture<?>> replies = Collections.synchronizedList(new ArrayList<>());
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      workers.add(new Thread(() -> {
        // At least perThread each, and on until some went over the socket (the switch may come late).
        // At most 64 invokes in flight per thread, as a caller would pipeline: tens of thousands
        // unanswered at once would outlast the 5 s invoke timeout on a busy machine.
        Semaphore inFlight = new Semaphore(64);
        int i = 0;
        for (; (i < perThread || received.overSocket() == 0) && i < 90_000; i++) {
          Num n = new Num(thread * 100_000 + i);
          if (i % 2 == 0) {
            ipc.send(SEQ, n);
          } else {
            try {
              if (!inFlight.tryAcquire(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no reply for 20 s");
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            CompletableFuture<?> reply = ipc.invoke(ECHO, n).toCompletableFuture();
            reply.whenComplete((r, f) -> inFlight.release());
            replies.add(reply);
          }
        }
        issued[thread] = i;
      }));
    }
    // Straight after the Welcome: the first ones go over Artery, the rest over the socket.
    workers.forEach(Thread::start);
    for (Thread w : workers) {
      w.join(20_000);
    }
    CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    int sends = 0;
    for (int t = 0; t < threads; t++) {
      sends += (issued[t] + 1) / 2;
    }
    int expectedSends = sends;
    waitFor(() -> received.on(SEQ.name()).size() == expectedSends, "every send");

    Map<Integer, List<Integer>> byThread = new HashMap<>();
    synchronized (received) {
      for (Envelope e : received.envelopes) {
        if (e.channel().equals(SEQ.name()) || e.channel().equals(ECHO.name())) {
          int n = PayloadCodec.decode(e.payload(), Num.class).n();
          if (n >= 0) {
            byThread.computeIfAbsent(n / 100_000, k -> new ArrayList<>()).add(n % 100_000);
          }
        }
      }
    }
    for (int t = 0; t < threads; t++) {
      List<Integer> order = byThread.get(t);
      assertEquals(issued[t], order.size(), "thread " + t + " messages");
      for (int i = 0; i < issued[t]; i++) {
        assertEquals(i, order.get(i), "thread " + t + " message " + i + " out of order");
      }
    }
    assertTrue(received.overSocket() > 0, "some went over the data plane");
  }

  @Test
  void shouldHeartbeatOverTheSocketOnceSwitchedAndStayConnectedWhileQuiet() {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);
    int before = received.socketHeartbeats();
    // The Welcome says 200 ms, the renderer tolerates 3 missed acks: 8 heartbeats are 1.6 s of quiet,
    // more than twice the 600 ms after which a renderer without acks gives the connection up.
    waitFor(() -> received.socketHeartbeats() >= before + 8, "8 heartbeats over the socket");

    assertTrue(ipc.isConnected());
    assertEquals(new Num(5), await(ipc.invoke(ECHO, new Num(5))));
    synchronized (received) {
      assertTrue(received.switched);
      // One in 60 also goes over Artery (keeps that association from idling out); not within 8.
      assertEquals(received.arteryHeartbeatsAtSwitch, received.arteryHeartbeats, "no heartbeat over Artery after the switch");
    }
  }

  @Test
  void shouldLoseTheConnectionWhenMainStopsAckingOverTheSocket() throws Exception {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);
    CompletableFuture<Long> lost = new CompletableFuture<>();
    ipc.onDisconnect(() -> lost.complete(System.nanoTime()));
    waitFor(() -> received.socketHeartbeats() >= 2, "heartbeats over the socket");

    long stoppedAt = System.nanoTime();
    received.ackOverSocket = false;
    long lostAt = lost.get(20, TimeUnit.SECONDS);

    long millis = (lostAt - stoppedAt) / 1_000_000;
    // 3 missed acks at 200 ms: lost after 3 to 4 intervals of silence (plus scheduling on a busy machine).
    assertTrue(millis >= 2 * 200, "not before the missed acks: " + millis + " ms");
    assertTrue(millis < 4 * 200 + 3_000, "within the bound: " + millis + " ms");
    assertFalse(ipc.isConnected());
  }

  @Test
  void shouldFailWithTimeoutWhenTheReplyOnTheDataPlaneComesTooLate() {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);

    IpcError silent = failureOf(ipc.invoke(SILENT, new Num(1), Duration.ofMillis(300)));
    IpcError late = failureOf(ipc.invoke(LATE, new Num(2), Duration.ofMillis(300)));

    assertEquals(ErrorCode.TIMEOUT, silent.code());
    assertEquals(SILENT.name(), silent.channel());
    assertEquals(ErrorCode.TIMEOUT, late.code());
    // The late reply is dropped when it comes; the connection goes on.
    assertEquals(new Num(3), await(ipc.invoke(ECHO, new Num(3))));
    assertTrue(ipc.isConnected());
  }

  @Test
  void shouldRefuseAPayloadAboveTheDataPlaneLimitWithTooLarge() {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);
    int before = received.overSocket();

    IpcError error = failureOf(ipc.invoke(ECHO_BLOB, new Blob(new byte[MAX_PAYLOAD + 1])));

    assertEquals(ErrorCode.TOO_LARGE, error.code());
    assertEquals(new Num(4), await(ipc.invoke(ECHO, new Num(4))));
    assertEquals(before + 1, received.overSocket(), "only the echo went out");
  }

  @Test
  void shouldDeliverAPushThatCameBeforeTheReplyFirst() {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);
    List<Integer> pushes = new CopyOnWriteArrayList<>();
    ipc.on(NEWS, n -> pushes.add(n.n()));

    for (int i = 0; i < 200; i++) {
      int n = i;
      Num reply = await(ipc.invoke(PUSH_THEN_REPLY, new Num(n)).thenApply(r -> {
        // Runs where the reply completed the call: the push before it was already handled.
        assertTrue(pushes.contains(n), "push " + n + " seen before its reply");
        return r;
      }));
      assertEquals(n, reply.n());
    }
  }

  @Test
  void shouldShowRepliesToEnvelopeListenersOnTheDataPlane() {
    Received received = new Received();
    IpcRenderer ipc = connectOnDataPlane(received);
    List<Envelope> seen = new CopyOnWriteArrayList<>();
    ipc.onEnvelope(seen::add);

    Num reply = await(ipc.invoke(ECHO, new Num(7)));

    assertEquals(7, reply.n());
    assertTrue(seen.stream().anyMatch(e -> e.isReply() && e.channel().equals(ECHO.name())), "the reply was observed");
    assertFalse(seen.isEmpty());
  }
}
