package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.renderer.StateReplica;

/**
 * Before/after figures of the optimizations of issue 5 that run inside one JVM: debouncing of
 * state-sync deltas, throttling of pushes with latest-wins coalescing, and lz4 compression of
 * large payloads. Each "before" is the same code with the optimization off (window 0, no throttle,
 * threshold 0), so the pair differs by the optimization only. Prints markdown tables.
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -DskipTests
 * java -Xmx256m -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
 *     org.browseros.ipc.bench.OptimizationsBench [--quick]
 * </pre>
 */
public final class OptimizationsBench {

  private final boolean quick;

  private OptimizationsBench(boolean quick) {
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    OptimizationsBench bench = new OptimizationsBench(quick);
    System.out.println("# Optimizations " + (quick ? "(--quick: figures mean nothing)" : ""));
    System.out.println();
    System.out.println("- " + machine());
    System.out.println();
    bench.debounce();
    bench.throttle();
    bench.compression();
    System.out.println("- load average at the end: " + Report.loadAverages());
  }

  // ---- 1. debouncing -----------------------------------------------------------------------------

  /** What one subscriber (a connection plus its renderer) saw and spent during the bursts. */
  private static final class SubscriberFigures {
    final AtomicLong deltas = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong pipelineNanos = new AtomicLong();
    final AtomicLong gaps = new AtomicLong();
    volatile long version;
    volatile long lastAppliedAt;
  }

  /**
   * Stands for a connection and its renderer: encodes each update as Connection does, decodes it as
   * RendererClient does, and applies it to a {@link StateReplica}; all of it timed.
   */
  private static Behavior<StateSync> subscriber(StateReplica replica, SubscriberFigures figures) {
    return Behaviors.receiveMessage(sync -> {
      long start = System.nanoTime();
      byte[] wire = PayloadCodec.encode(sync);
      StateSync received = PayloadCodec.decode(wire, StateSync.class);
      StateReplica.Outcome outcome = replica.apply(received);
      long end = System.nanoTime();
      if (!sync.snapshot()) {
        figures.deltas.incrementAndGet();
        figures.bytes.addAndGet(wire.length);
        figures.pipelineNanos.addAndGet(end - start);
        if (outcome != StateReplica.Outcome.APPLIED) {
          figures.gaps.incrementAndGet();
        }
      }
      figures.version = replica.version();
      figures.lastAppliedAt = end;
      return Behaviors.same();
    });
  }

  private static JsonNode tab(int id, int round) {
    return PayloadCodec.toTree(new TabInfo("t" + id, "w" + (id % 10), "https://example.org/page/" + id + "?r=" + round,
        "Page " + id + " round " + round, round > 0, false, false, false, id % 10 == 0));
  }

  private void debounce() throws Exception {
    int tabs = 1_000;
    int burst = 100;
    int bursts = quick ? 5 : 200;
    System.out.println("## Debouncing of state-sync deltas (StateHub)");
    System.out.println();
    System.out.println("State of " + tabs + " tabs; a burst puts " + burst + " of them back to back; " + bursts
        + " bursts, 20 ms apart. One subscriber stands for a connection plus its renderer: encode (Connection),"
        + " decode (RendererClient), StateReplica.apply; its time is summed per burst.");
    System.out.println();
    System.out.println("| window | deltas per burst | wire bytes per burst | encode+decode+apply per burst (ms) |"
        + " burst start → last applied, p50 / max (ms) | gaps | load |");
    System.out.println("|---|---|---|---|---|---|---|");
    List<String> loneChanges = new ArrayList<>();
    for (Duration window : List.of(Duration.ZERO, Duration.ofMillis(5))) {
      ActorSystem<SpawnProtocol.Command> system = ActorSystem.create(SpawnProtocol.create(), "debounce-bench");
      try {
        ActorRef<StateHub.Command> hub = spawn(system, StateHub.create(window), "hub");
        for (int i = 0; i < tabs; i++) {
          hub.tell(new StateHub.Put("tabs/t" + i, tab(i, 0)));
        }
        StateReplica replica = new StateReplica();
        SubscriberFigures figures = new SubscriberFigures();
        ActorRef<StateSync> sub = spawn(system, subscriber(replica, figures), "subscriber");
        hub.tell(new StateHub.Subscribe(sub));
        awaitVersion(figures, window.isZero() ? tabs : 1);
        long baseDeltas = figures.deltas.get();
        long baseBytes = figures.bytes.get();
        long baseNanos = figures.pipelineNanos.get();
        long[] spans = new long[bursts];
        for (int b = 0; b < bursts; b++) {
          long before = figures.version;
          long start = System.nanoTime();
          for (int i = 0; i < burst; i++) {
            int id = (b * 37 + i * 7) % tabs;
            hub.tell(new StateHub.Put("tabs/t" + id, tab(id, b + 1)));
          }
          // A burst ends when the replica has seen every put of it (debounced: the one delta).
          awaitSettled(figures, before);
          spans[b] = figures.lastAppliedAt - start;
          Thread.sleep(20);
        }
        // Lone changes, a quiet 30 ms apart: what the window costs a change that is not in a burst.
        long[] lone = new long[Math.max(5, bursts / 4)];
        for (int k = 0; k < lone.length; k++) {
          long before = figures.version;
          long start = System.nanoTime();
          hub.tell(new StateHub.Put("tabs/t" + k, tab(k, 10_000 + k)));
          awaitVersion(figures, before + 1);
          lone[k] = figures.lastAppliedAt - start;
          Thread.sleep(30);
        }
        Arrays.sort(lone);
        loneChanges.add(String.format(Locale.ROOT, "| %s | %.2f | %.2f |", windowName(window),
            lone[lone.length / 2] / 1e6, lone[lone.length - 1] / 1e6));
        long deltas = figures.deltas.get() - baseDeltas;
        long bytes = figures.bytes.get() - baseBytes;
        long nanos = figures.pipelineNanos.get() - baseNanos;
        Arrays.sort(spans);
        System.out.printf(Locale.ROOT, "| %s | %.1f | %,d | %.2f | %.2f / %.2f | %d | %s |%n",
            windowName(window),
            (double) deltas / bursts, bytes / bursts, nanos / 1e6 / bursts,
            spans[bursts / 2] / 1e6, spans[bursts - 1] / 1e6, figures.gaps.get(), Report.load());
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
    System.out.println();
    System.out.println("A lone change (quiet before and after): put until applied by the replica.");
    System.out.println();
    System.out.println("| window | p50 (ms) | max (ms) |");
    System.out.println("|---|---|---|");
    loneChanges.forEach(System.out::println);
    System.out.println();
  }

  private static String windowName(Duration window) {
    return window.isZero() ? "0 (off, before)" : window.toMillis() + " ms (after)";
  }

  private static <T> ActorRef<T> spawn(ActorSystem<SpawnProtocol.Command> system, Behavior<T> behavior, String name)
      throws Exception {
    return AskPattern.<SpawnProtocol.Command, ActorRef<T>>ask(system,
            replyTo -> new SpawnProtocol.Spawn<>(behavior, name, Props.empty(), replyTo), Duration.ofSeconds(5),
            system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void awaitVersion(SubscriberFigures figures, long version) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (figures.version < version) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Replica stuck at version " + figures.version + ", expected " + version);
      }
      Thread.sleep(1);
    }
  }

  /** Waits until the version moved past {@code before} and then stayed put for 30 ms. */
  private static void awaitSettled(SubscriberFigures figures, long before) throws InterruptedException {
    awaitVersion(figures, before + 1);
    long seen = figures.version;
    long stableSince = System.nanoTime();
    while (System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(30)) {
      Thread.sleep(1);
      if (figures.version != seen) {
        seen = figures.version;
        stableSince = System.nanoTime();
      }
    }
  }

  // ---- 2. throttling ----------------------------------------------------------------------------

  record Bounds(String windowId, int x, int y, int width, int height) {}

  private static final Channel<Bounds, Void> BOUNDS = Channel.mainToRenderer("app:window-bounds", Bounds.class);

  /** Stands for the gateway: encodes each push as ConnectionRegistry does, and counts it. */
  private static final class CountingRenderers implements IpcMain.Renderers {
    final AtomicLong pushes = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    @Override
    public void push(String rendererId, Channel<?, ?> channel, Object payload) {
      pushes.incrementAndGet();
      bytes.addAndGet(PayloadCodec.encode(payload).length);
    }

    @Override
    public void pushToAll(Channel<?, ?> channel, Object payload) {
      push("*", channel, payload);
    }

    @Override
    public <R> CompletionStage<R> invoke(String rendererId, Channel<?, R> channel, Object payload, Duration timeout) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException());
    }

    @Override
    public Set<String> connected() {
      return Set.of("r1");
    }
  }

  private void throttle() throws Exception {
    int windows = 4;
    int perSecond = 1000;
    Duration length = Duration.ofSeconds(quick ? 1 : 3);
    System.out.println("## Throttling with latest-wins coalescing (IpcMain.sendTo)");
    System.out.println();
    System.out.println("A window-bounds stream of " + perSecond + " updates/s per window, " + windows
        + " windows, for " + length.toSeconds() + " s, to one renderer; the gateway side encodes and counts"
        + " each push. After: `throttle(channel, 60, Bounds::windowId)`.");
    System.out.println();
    System.out.println("| throttle | sent | pushes reaching the gateway | per window per s | bytes encoded |"
        + " last value of every window delivered | load |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (int rate : new int[] {0, 60}) {
      IpcMain ipcMain = new IpcMain(Duration.ofSeconds(1));
      CountingRenderers gateway = new CountingRenderers();
      ipcMain.attach(gateway);
      List<Bounds> last = new ArrayList<>();
      java.util.Map<String, Bounds> delivered = new java.util.concurrent.ConcurrentHashMap<>();
      if (rate > 0) {
        ipcMain.throttle(BOUNDS, rate, Bounds::windowId);
      }
      IpcMain.Renderers recording = new IpcMain.Renderers() {
        @Override
        public void push(String rendererId, Channel<?, ?> channel, Object payload) {
          gateway.push(rendererId, channel, payload);
          Bounds b = (Bounds) payload;
          delivered.put(b.windowId(), b);
        }

        @Override
        public void pushToAll(Channel<?, ?> channel, Object payload) {
          push("*", channel, payload);
        }

        @Override
        public <R> CompletionStage<R> invoke(String rendererId, Channel<?, R> channel, Object payload, Duration timeout) {
          return gateway.invoke(rendererId, channel, payload, timeout);
        }

        @Override
        public Set<String> connected() {
          return gateway.connected();
        }
      };
      ipcMain.attach(recording);
      long sent = 0;
      long periodNanos = 1_000_000_000L / perSecond;
      long start = System.nanoTime();
      long ticks = length.toNanos() / periodNanos;
      for (long t = 0; t < ticks; t++) {
        for (int w = 0; w < windows; w++) {
          Bounds b = new Bounds("w" + w, (int) t, (int) t, 800, 600);
          ipcMain.sendTo("r1", BOUNDS, b);
          sent++;
          if (t == ticks - 1) {
            last.add(b);
          }
        }
        LockSupport.parkNanos(Math.max(0, start + (t + 1) * periodNanos - System.nanoTime()));
      }
      long elapsed = System.nanoTime() - start;
      Thread.sleep(200);
      boolean lastDelivered = last.stream().allMatch(b -> b.equals(delivered.get(b.windowId())));
      System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %.1f | %,d | %s | %s |%n",
          rate == 0 ? "none (before)" : rate + "/s per window (after)", sent, gateway.pushes.get(),
          gateway.pushes.get() / (double) windows / (elapsed / 1e9), gateway.bytes.get(), lastDelivered ? "yes" : "NO",
          Report.load());
    }
    System.out.println();
  }

  // ---- 3. compression ---------------------------------------------------------------------------

  record Page(String html) {}

  record Blob(byte[] data) {}

  private static String html(int bytes) {
    StringBuilder sb = new StringBuilder(bytes + 128);
    int i = 0;
    java.util.Random random = new java.util.Random(42);
    String[] words = {"tab", "window", "renderer", "settings", "navigation", "history", "bookmark", "download",
        "extension", "profile", "session", "cookie", "cache", "network", "script", "style"};
    while (sb.length() < bytes) {
      sb.append("<li class=\"item ").append(words[random.nextInt(words.length)]).append("\" data-id=\"").append(i++)
          .append("\"><a href=\"https://example.org/").append(words[random.nextInt(words.length)]).append('/')
          .append(random.nextInt(100_000)).append("\">").append(words[random.nextInt(words.length)]).append(' ')
          .append(words[random.nextInt(words.length)]).append(' ').append(random.nextInt(1000)).append("</a></li>\n");
    }
    return sb.substring(0, bytes);
  }

  private void compression() {
    int iterations = quick ? 20 : 300;
    int warmup = quick ? 5 : 200;
    System.out.println("## Compression of large payloads (PayloadCodec, lz4 above 32 KiB)");
    System.out.println();
    System.out.println("Payload record with one HTML-like string (list markup with URLs and numbers), or random"
        + " bytes (incompressible). encode = PayloadCodec.encode on the sender, decode = PayloadCodec.decode on"
        + " the receiver; median of " + iterations + " after " + warmup + " warm-up rounds, one thread. lz4: "
        + net.jpountz.lz4.LZ4Factory.fastestInstance());
    System.out.println();
    System.out.println("| payload | compression | bytes on the wire | ratio | encode p50 (µs) | decode p50 (µs) |"
        + " encode+decode p50 (µs) | load |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    List<Object[]> cases = new ArrayList<>();
    cases.add(new Object[] {"64 KiB text", new Page(html(64 * 1024))});
    cases.add(new Object[] {"256 KiB text", new Page(html(256 * 1024))});
    cases.add(new Object[] {"1 MiB text", new Page(html(1024 * 1024))});
    byte[] random = new byte[256 * 1024];
    new java.util.Random(7).nextBytes(random);
    cases.add(new Object[] {"256 KiB random bytes", new Blob(random)});
    for (Object[] c : cases) {
      String name = (String) c[0];
      Object payload = c[1];
      Class<?> type = payload.getClass();
      int plain = PayloadCodec.encodeUncompressed(payload).length;
      for (boolean on : new boolean[] {false, true}) {
        PayloadCodec.configureCompression(on ? PayloadCodec.DEFAULT_COMPRESS_ABOVE : 0, 4 << 20);
        long[] enc = new long[iterations];
        long[] dec = new long[iterations];
        byte[] wire = null;
        for (int i = -warmup; i < iterations; i++) {
          long t0 = System.nanoTime();
          wire = PayloadCodec.encode(payload);
          long t1 = System.nanoTime();
          Object back = PayloadCodec.decode(wire, type);
          long t2 = System.nanoTime();
          if (back == null) {
            throw new IllegalStateException();
          }
          if (i >= 0) {
            enc[i] = t1 - t0;
            dec[i] = t2 - t1;
          }
        }
        long[] sum = new long[iterations];
        for (int i = 0; i < iterations; i++) {
          sum[i] = enc[i] + dec[i];
        }
        System.out.printf(Locale.ROOT, "| %s | %s | %,d | %.2f | %.0f | %.0f | %.0f | %s |%n", name,
            on ? "lz4 (after)" : "off (before)", wire.length, (double) plain / wire.length,
            median(enc) / 1e3, median(dec) / 1e3, median(sum) / 1e3, Report.load());
      }
    }
    PayloadCodec.configureCompression(PayloadCodec.DEFAULT_COMPRESS_ABOVE, PayloadCodec.DEFAULT_MAX_DECOMPRESSED);
    System.out.println();
  }

  private static long median(long[] values) {
    long[] copy = values.clone();
    Arrays.sort(copy);
    return copy[copy.length / 2];
  }

  // ---- machine ----------------------------------------------------------------------------------

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cpus, " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.vm.version") + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20)
        + " MiB, JVM args " + ManagementFactory.getRuntimeMXBean().getInputArguments() + ", load average at the start "
        + Report.loadAverages();
  }
}
