package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;
import org.HdrHistogram.Histogram;

/**
 * A measuring renderer: its own JVM, connected to main through the full stack (IpcRenderer,
 * RendererClient, Artery, gateway, Connection) with the devtools credential, like scripts/ipc.
 * The harness drives it with one command per stdin line; it answers one {@code RESULT <json>} line.
 */
public final class BenchClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final IpcRenderer ipc;
  private final Semaphore credits = new Semaphore(0);
  private final AtomicLong credited = new AtomicLong();

  private BenchClient(IpcRenderer ipc) {
    this.ipc = ipc;
    ipc.on(BenchChannels.CREDIT, credit -> {
      long before = credited.getAndAccumulate(credit.received(), Math::max);
      if (credit.received() > before) {
        credits.release((int) (credit.received() - before));
      }
    });
  }

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    JsonNode credential = PayloadCodec.parseJson(Files.readString(dataDir.resolve("devtools.credential")));
    // A main with mutual TLS (the default) names its key material in the credential, as for scripts/ipc.
    Config config = credential.hasNonNull("tls")
        ? RendererConfig.withTls(RendererConfig.load(), Path.of(credential.get("tls").asText()))
        : RendererConfig.load();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", config);
    IpcRenderer ipc = IpcRenderer.connect(system,
            ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    ipc.state().ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
    BenchClient client = new BenchClient(ipc);
    System.out.println("READY " + ipc.rendererId());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("quit")) {
      ObjectNode result;
      try {
        result = client.run(line.trim().split("\\s+"));
      } catch (Exception e) {
        result = PayloadCodec.json().createObjectNode();
        result.put("error", String.valueOf(IpcException.errorOf(e).code()) + " " + IpcException.errorOf(e).message());
      }
      System.out.println("RESULT " + result);
      System.out.flush();
    }
    ipc.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.exit(0);
  }

  private ObjectNode run(String[] cmd) throws Exception {
    return switch (cmd[0]) {
      case "echo" -> echo(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]), Integer.parseInt(cmd[3]));
      case "echo-sync" -> echoSync(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]), Integer.parseInt(cmd[3]));
      case "echo-chained" -> echoChained(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]), Integer.parseInt(cmd[3]));
      case "settings" -> settings(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]));
      case "echo-pipelined" -> echoPipelined(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]), Integer.parseInt(cmd[3]));
      case "events" -> events(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]), Integer.parseInt(cmd[3]),
          cmd.length > 4 ? Integer.parseInt(cmd[4]) : 0);
      case "listen" -> listen();
      case "tabs" -> tabs(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]));
      default -> throw new IllegalArgumentException("unknown command " + cmd[0]);
    };
  }

  /** Sequential app:echo round trips: the latency of one invoke through every layer. */
  private ObjectNode echo(int bytes, int warmup, int count) throws Exception {
    return echoRoundTrips(bytes, warmup, count,
        blob -> ipc.invoke(BenchChannels.ECHO, blob).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
  }

  /** Sequential app:echo round trips through {@code invokeSync}: the caller spins, then parks, for each reply. */
  private ObjectNode echoSync(int bytes, int warmup, int count) throws Exception {
    return echoRoundTrips(bytes, warmup, count, blob -> ipc.invokeSync(BenchChannels.ECHO, blob, TIMEOUT));
  }

  private interface RoundTrip {
    BenchChannels.Blob call(BenchChannels.Blob blob) throws Exception;
  }

  private static ObjectNode echoRoundTrips(int bytes, int warmup, int count, RoundTrip roundTrip) throws Exception {
    BenchChannels.Blob blob = new BenchChannels.Blob(new byte[bytes]);
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    for (int i = 0; i < warmup + count; i++) {
      long t0 = System.nanoTime();
      BenchChannels.Blob reply = roundTrip.call(blob);
      long t = System.nanoTime() - t0;
      if (reply.data().length != bytes) {
        throw new IllegalStateException("echo returned " + reply.data().length + " bytes");
      }
      if (i >= warmup) {
        h.recordValue(t);
      }
    }
    return percentiles(h);
  }

  /**
   * Sequential app:echo round trips as Node's ping-pong runs them: each next invoke is issued from
   * the previous reply's callback instead of by a caller blocked on {@code get()}. On the data
   * plane the callback runs on the socket's reader thread, so no thread waits to be woken by it:
   * one hand-off fewer per round trip than {@link #echo}.
   */
  private ObjectNode echoChained(int bytes, int warmup, int count) throws Exception {
    BenchChannels.Blob blob = new BenchChannels.Blob(new byte[bytes]);
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    CompletableFuture<Void> done = new CompletableFuture<>();
    new Object() {
      int i;

      void next() {
        long t0 = System.nanoTime();
        ipc.invoke(BenchChannels.ECHO, blob).whenComplete((reply, failure) -> {
          long t = System.nanoTime() - t0;
          if (failure != null) {
            done.completeExceptionally(failure);
            return;
          }
          if (reply.data().length != bytes) {
            done.completeExceptionally(new IllegalStateException("echo returned " + reply.data().length + " bytes"));
            return;
          }
          if (i >= warmup) {
            h.recordValue(t);
          }
          if (++i < warmup + count) {
            next();
          } else {
            done.complete(null);
          }
        });
      }
    }.next();
    done.get(TIMEOUT.toSeconds() + (warmup + count) / 1000, TimeUnit.SECONDS);
    return percentiles(h);
  }

  /** Sequential settings:update round trips: validation, persistence (journal write) and the reply. */
  private ObjectNode settings(int warmup, int count) throws Exception {
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    for (int i = 0; i < warmup + count; i++) {
      SettingsUpdate update = new SettingsUpdate("zoom", IntNode.valueOf(100 + i % 2 * 10));
      long t0 = System.nanoTime();
      ipc.invoke(Channels.SETTINGS_UPDATE, update).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      long t = System.nanoTime() - t0;
      if (i >= warmup) {
        h.recordValue(t);
      }
    }
    return percentiles(h);
  }

  /** Up to {@code window} echo invokes in flight: invokes per second one renderer can drive. */
  private ObjectNode echoPipelined(int bytes, int count, int window) throws Exception {
    BenchChannels.Blob blob = new BenchChannels.Blob(new byte[bytes]);
    return pipelined(count, window, TIMEOUT, "pipelined invokes", i -> ipc.invoke(BenchChannels.ECHO, blob));
  }

  /** Starts one call of a pipelined run (on the loop's thread, so it may block). */
  @FunctionalInterface
  private interface Call {
    CompletionStage<?> start(int i) throws Exception;
  }

  /** Runs {@code count} calls with at most {@code window} in flight; the first failure fails the run. */
  private static ObjectNode pipelined(int count, int window, Duration drain, String what, Call call) throws Exception {
    Semaphore inFlight = new Semaphore(window);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < count && failure.get() == null; i++) {
      inFlight.acquire();
      call.start(i).whenComplete((r, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
        inFlight.release();
      });
    }
    if (!inFlight.tryAcquire(window, drain.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(what + " did not complete");
    }
    if (failure.get() != null) {
      throw new IllegalStateException(failure.get());
    }
    ObjectNode r = PayloadCodec.json().createObjectNode();
    r.put("nanos", System.nanoTime() - t0);
    r.put("count", count);
    return r;
  }

  /**
   * One-way sends counted by main's listener. With {@code window > 0}, main grants credit as it
   * counts and at most {@code window} sends are unacknowledged: Artery drops silently when its
   * outbound queue is full. With 0, the transport's own backpressure paces the sender (the data
   * plane makes a sender wait while main is behind), as Node's {@code send()} callback does.
   * The clock stops when main has counted the last one: a {@code bench:counted} invoke after the
   * sends is answered only after main handled every one of them (one connection, in order).
   */
  private ObjectNode events(int bytes, int count, int window, int warmup) throws Exception {
    BenchChannels.Blob blob = new BenchChannels.Blob(new byte[bytes]);
    // Unmeasured first, as the latency rows warm up: the JIT compiles the send path on both sides.
    flood(blob, warmup, window);
    long t0 = System.nanoTime();
    long received = flood(blob, count, window);
    long nanos = System.nanoTime() - t0;
    ObjectNode r = PayloadCodec.json().createObjectNode();
    r.put("nanos", nanos);
    r.put("count", count);
    r.put("received", received);
    return r;
  }

  /** Sends {@code count} events; returns how many of them main counted once the last was handled. */
  private long flood(BenchChannels.Blob blob, int count, int window) throws Exception {
    BenchChannels.Blob none = new BenchChannels.Blob(new byte[0]);
    long base = ipc.invoke(BenchChannels.COUNTED, none).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).received();
    credits.drainPermits();
    credited.set(base);
    credits.release(window);
    for (int i = 0; i < count; i++) {
      if (window > 0 && !credits.tryAcquire(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new IllegalStateException("no credit from main after " + i + " events");
      }
      ipc.send(BenchChannels.EVENT, blob);
    }
    long counted = ipc.invoke(BenchChannels.COUNTED, none).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).received();
    return counted - base;
  }

  /** From now on, acknowledge every broadcast tick and every state delta with the time it arrived. */
  private ObjectNode listen() {
    ipc.on(BenchChannels.BROADCAST, tick ->
        ipc.send(BenchChannels.ACK, new BenchChannels.Ack(tick.seq(), System.nanoTime())));
    ipc.on(Channels.STATE_SYNC, sync -> {
      long now = System.nanoTime();
      if (!sync.snapshot()) {
        ipc.send(BenchChannels.ACK, new BenchChannels.Ack(-sync.version(), now));
      }
    });
    return PayloadCodec.json().createObjectNode();
  }

  /**
   * Opens {@code count} tabs through tab:create, {@code window} calls in flight, 100 per window:
   * every tab:create republishes its window (with its tab list) to the state, so one window with
   * 10,000 tabs would measure that list rather than the tabs.
   */
  private ObjectNode tabs(int count, int window) throws Exception {
    String[] windowId = new String[1];
    return pipelined(count, window, Duration.ofSeconds(120), "tab:create calls", i -> {
      if (i % 100 == 0) {
        windowId[0] = ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("bench " + i / 100, null)).toCompletableFuture()
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).windowId();
      }
      return ipc.invoke(Channels.TAB_CREATE, new TabCreate(windowId[0], "about:blank", false));
    });
  }

  static ObjectNode percentiles(Histogram h) {
    ObjectNode r = PayloadCodec.json().createObjectNode();
    r.put("count", h.getTotalCount());
    r.put("p50", h.getValueAtPercentile(50) / 1000.0);
    r.put("p90", h.getValueAtPercentile(90) / 1000.0);
    r.put("p99", h.getValueAtPercentile(99) / 1000.0);
    r.put("p999", h.getValueAtPercentile(99.9) / 1000.0);
    r.put("max", h.getMaxValue() / 1000.0);
    return r;
  }
}
