package org.browseros.ipc.bench.jmh;

import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.bench.BenchChannels;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.main.dataplane.InlineExecutor;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.gateway.Connection;
import org.browseros.ipc.main.gateway.GatewaySettings;
import org.browseros.ipc.main.gateway.Outbound;
import org.browseros.ipc.main.gateway.RequestLog;
import org.browseros.ipc.main.gateway.Resumption;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.IpcMonitor;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Main's own work for one renderer invoke ({@link #invoke}) or event ({@link #send}) on the data
 * plane, without the socket: the request's frame decoded, the {@link Connection} actor's checks
 * (id, channel name, size, capability, rate limit, schema), the request log, the IPC monitor, the
 * {@code bench:echo} handler and the reply encoded into its frame, all on the calling thread as
 * main's data-plane reader runs them ({@link InlineExecutor.Inline}). What the "our layers" targets of {@code scripts/bench} measure end
 * to end, here per operation and without the kernel or the other process.
 *
 * <p>Differs from the reader only in the hand-over: the envelope is told to the connection directly
 * instead of through the session's queue and its {@code Arrived} signal. Every 256 replies a
 * heartbeat reports them processed, as a renderer's does once a second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class MainRequestPathBenchmark {
  // Distinct request ids, more than the request log keeps, so that no request is a duplicate (and
  // few enough that the 64 KiB frames do not fill the heap).
  private static final int FRAMES = RequestLog.DEFAULT_CAPACITY + 64;

  @Param({"100", "65536"})
  public int payloadBytes;

  private ActorSystem<Void> system;
  private ActorRef<ToMain> connection;
  private final InlineExecutor.Inline inline = new InlineExecutor.Inline();
  private final CapturingOutbound outbound = new CapturingOutbound();
  private ByteBuffer[] frames;
  private int next;
  private ByteBuffer eventFrame;
  // Events the listener got.
  final AtomicLong received = new AtomicLong();
  // Handler calls: each invoke runs the handler, none is answered as a duplicate.
  final AtomicLong handled = new AtomicLong();
  // Of them, on the benchmark's thread (the setup's thread, which JMH's Scope.Thread state shares).
  long handledHere;
  // Replies taken: reported in a heartbeat as the renderer does, or main's flow control cuts it off.
  private long processed;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    // As the bench's main: no rate limit (it would measure the limiter's refusals).
    overrides.put("browseros.security.capabilities.shell.rate-limit.per-second", 100_000_000);
    overrides.put("browseros.security.capabilities.shell.rate-limit.burst", 100_000_000);
    Map<String, Object> local = new HashMap<>();
    local.put("pekko.actor.provider", "local");
    // As main's edge: a connection's mailbox scheduled by the reader's tell runs on the reader.
    local.put("pekko.actor.default-dispatcher.executor", InlineExecutor.Configurator.class.getName());
    var config = MainConfig.load(overrides);
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    Thread benchmarkThread = Thread.currentThread();
    ipcMain.handle(BenchChannels.ECHO, (event, payload) -> {
      handled.incrementAndGet();
      if (Thread.currentThread() == benchmarkThread) {
        handledHere++;
      }
      return payload;
    });
    ipcMain.on(BenchChannels.EVENT, (event, payload) -> received.incrementAndGet());
    IpcMonitor monitor = new IpcMonitor(config.getDuration("browseros.monitor.slow-threshold"));
    Behavior<ToMain> behavior = Connection.create(new Caller("renderer-1", "default", "shell"), outbound,
        new NoCore(), ipcMain, new NoAdmission(), GatewaySettings.fromConfig(config), monitor, Resumption.none());
    // Spawned from a parent's context, as the gateway spawns connections: systemActorOf would wrap it
    // in a supervisor whose interceptor (a new wrapper per message) main's connections do not have.
    CompletableFuture<ActorRef<ToMain>> spawned = new CompletableFuture<>();
    system = ActorSystem.create(Behaviors.<Void>setup(context -> {
      spawned.complete(context.spawn(behavior, "connection"));
      return Behaviors.empty();
    }), "jmh-main", ConfigFactory.parseMap(local).withFallback(MainConfig.forSystem(config, "edge")));
    connection = spawned.get(10, TimeUnit.SECONDS);
    byte[] payload = PayloadCodec.encode(new BenchChannels.Blob(new byte[payloadBytes]));
    frames = new ByteBuffer[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
      frames[i] = DataPlaneWire.envelopeFrame(Envelope.command(BenchChannels.ECHO.name(), payload));
    }
    eventFrame = DataPlaneWire.envelopeFrame(Envelope.of(BenchChannels.EVENT.name(), MessageType.EVENT, payload));
    // The Welcome, sent from the actor's setup on a pool thread; then its mailbox is idle.
    outbound.awaitFirst();
    Thread.sleep(200);
    outbound.take();
    Envelope first = invoke();
    if (first == null || first.type() != MessageType.COMMAND || first.payload().length != payload.length) {
      throw new IllegalStateException("The connection did not answer the echo: " + first);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  /** One request frame in, its reply frame out; returns the reply. */
  @Benchmark
  public Envelope invoke() throws Exception {
    deliver(frames[next]);
    next = (next + 1) % FRAMES;
    // A timer of the connection (its heartbeat check) may have its mailbox running on a pool thread
    // meanwhile: then the reply comes from there. Waiting for it, as a renderer does, keeps the next
    // request on this thread; not waiting would leave the pool running every later one.
    Envelope reply;
    while ((reply = outbound.take()) == null) {
      Thread.onSpinWait();
    }
    if ((++processed & 255) == 0) {
      inline.tell(connection, new Heartbeat(processed, System.nanoTime(), processed));
      inline.run();
    }
    return reply;
  }

  /**
   * One renderer→main event ({@code send}) to an {@code ipcMain.on} listener: the path of the event
   * throughput rows. Nothing is written back.
   */
  @Benchmark
  public long send() throws Exception {
    long before = received.get();
    deliver(eventFrame);
    long now;
    // As in invoke: the event may have been handled on a pool thread; wait for it there.
    while ((now = received.get()) == before) {
      Thread.onSpinWait();
    }
    return now;
  }

  /** As main's reader: the frame's envelope decoded and told to the connection, whose turn runs here. */
  private void deliver(ByteBuffer frame) throws DataPlaneWire.MalformedFrameException {
    inline.tell(connection, DataPlaneWire.decodeEnvelope(EnvelopeCodecBenchmark.body(frame)));
    inline.run();
  }

  /** Encodes each envelope into its frame parts as the data-plane session does, and keeps the last. */
  static final class CapturingOutbound implements Outbound {
    private final CompletableFuture<Void> first = new CompletableFuture<>();
    private volatile Envelope last;
    // Read by nobody: summing the parts keeps the JIT from dropping the reply's encoding as unused.
    private long bytes;

    @Override
    public void send(ToRenderer message) {
      if (message instanceof Envelope envelope) {
        for (ByteBuffer part : DataPlaneWire.envelopeParts(envelope)) {
          bytes += part.remaining();
        }
        last = envelope;
      }
      first.complete(null);
    }

    void awaitFirst() throws Exception {
      first.get(10, TimeUnit.SECONDS);
    }

    Envelope take() {
      Envelope e = last;
      if (e != null) {
        last = null;
      }
      return e;
    }
  }

  /** No domain: the benchmark's channel is an application channel, handled by IpcMain. */
  static final class NoCore implements CoreApi {
    @Override
    public CompletionStage<Object> invoke(Channel<?, ?> channel, Object payload, Caller caller) {
      return CompletableFuture.failedFuture(new IllegalStateException("no core here"));
    }

    @Override
    public boolean serves(Channel<?, ?> channel) {
      return false;
    }

    @Override
    public void subscribeState(ActorRef<StateSync> subscriber) {}

    @Override
    public void unsubscribeState(ActorRef<StateSync> subscriber) {}

    @Override
    public void requestSnapshot(ActorRef<StateSync> replyTo) {}

    @Override
    public void subscribeSystemEvents(ActorRef<SystemEvent> subscriber) {}

    @Override
    public void unsubscribeSystemEvents(ActorRef<SystemEvent> subscriber) {}

    @Override
    public void publishSystemEvent(SystemEvent event) {}
  }

  static final class NoAdmission implements Admission {
    @Override
    public CompletionStage<Caller> authenticate(String rendererId, String secret) {
      return CompletableFuture.failedFuture(new IllegalStateException("no admission here"));
    }

    @Override
    public void connected(String rendererId) {}

    @Override
    public void disconnected(String rendererId, String reason) {}

    @Override
    public CompletionStage<RendererList> renderers() {
      return CompletableFuture.completedFuture(new RendererList(List.of()));
    }
  }
}
