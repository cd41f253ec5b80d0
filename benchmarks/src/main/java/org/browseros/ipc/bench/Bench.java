package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.typesafe.config.Config;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongPredicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.main.MainNode;
import org.browseros.ipc.main.MainProcess;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.renderers.RendererSupervisor;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;
import org.HdrHistogram.Histogram;

/**
 * The performance harness of Browser OS IPC. This JVM is the main process (core + edge systems,
 * two launched renderer JVMs); the measuring renderers are {@link BenchClient} JVMs; the baselines
 * (TCP, Unix domain socket, raw Artery, Node.js fork IPC) run in the same run, on the same machine.
 * Prints one table. {@code --quick} runs tiny counts (smoke test).
 */
public final class Bench {
  private static final int KIB = 1024;
  private static final int[] SIZES = {100, 64 * KIB, 1024 * KIB};

  /** How much to measure. */
  public record Counts(int smallWarmup, int small, int largeWarmup, int large, int hugeWarmup, int huge,
      int settingsWarmup, int settings, int events, int pipelined, int fanOutWarmup, int fanOut, int tabs,
      int fanOutClients, Duration idle, int startups, boolean focus) {
    static Counts full() {
      return new Counts(20_000, 50_000, 1_000, 5_000, 20, 200, 1_000, 5_000, 200_000, 50_000, 200, 2_000, 10_000,
          8, Duration.ofSeconds(10), 3, false);
    }

    /** The smoke test: every path once, tiny counts, one measuring renderer, no start-up runs. */
    static Counts smoke() {
      return new Counts(50, 100, 5, 10, 1, 2, 5, 10, 512, 100, 2, 10, 20, 1, Duration.ofSeconds(1), 0, false);
    }

    /** Tuning experiments: 100 B latency (raw Artery and ours), throughput under 1 and 4 renderers, idle CPU. */
    static Counts tuning() {
      return new Counts(20_000, 50_000, 1_000, 5_000, 20, 200, 0, 0, 100_000, 20_000, 0, 0, 0, 4, Duration.ofSeconds(10), 2, true);
    }

    static Counts quick() {
      return new Counts(100, 200, 10, 20, 2, 5, 10, 20, 2_048, 200, 5, 20, 50, 2, Duration.ofSeconds(1), 1, false);
    }
  }

  private final Counts n;
  private final Path work;
  private final Report report = new Report();
  private final Map<String, AtomicLong> eventCounts = new ConcurrentHashMap<>();
  private final FanOut fanOut = new FanOut();

  private Bench(Counts counts, Path work) {
    this.n = counts;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    List<String> flags = List.of(args);
    Counts counts = flags.contains("--quick") ? Counts.quick() : flags.contains("--focus") ? Counts.tuning() : Counts.full();
    Report report = flags.contains("--startup") ? runOnly(counts, "start-up", bench -> bench::startup)
        : flags.contains("--tabs") ? runOnly(counts, "tab heap", bench -> bench::tabsOnly) : run(counts);
    System.out.println(report.render());
    System.exit(0);
  }

  /** Runs every measurement; each one that fails is reported as such and the run goes on. */
  public static Report run(Counts counts) throws Exception {
    Path work = Files.createTempDirectory("browseros-bench");
    Bench bench = new Bench(counts, work);
    try {
      bench.machine();
      if (counts.focus()) {
        bench.phase("focus", bench::focus);
        bench.phase("start-up", bench::startup);
      } else {
        bench.phase("baselines", bench::baselines);
        bench.phase("our stack", bench::stack);
        bench.phase("start-up", bench::startup);
      }
      bench.report.note("load average at the end (other work on this machine skews every figure): " + Report.loadAverages());
    } finally {
      deleteQuietly(work);
    }
    return bench.report;
  }

  /** One phase only: {@code scripts/bench --startup} (the start-up rows) or {@code --tabs} (the tab heap). */
  private static Report runOnly(Counts counts, String name, Function<Bench, Phase> phase) throws Exception {
    Path work = Files.createTempDirectory("browseros-bench");
    Bench bench = new Bench(counts, work);
    try {
      bench.machine();
      bench.phase(name, phase.apply(bench));
      bench.report.note("load average at the end (other work on this machine skews every figure): " + Report.loadAverages());
    } finally {
      deleteQuietly(work);
    }
    return bench.report;
  }

  private interface Phase {
    void run() throws Exception;
  }

  /** A failed measurement is reported, not hidden, and the run goes on. */
  private void phase(String name, Phase phase) {
    try {
      phase.run();
    } catch (Exception e) {
      report.note(name + " failed: " + e);
      e.printStackTrace();
    }
  }

  // ---- machine -----------------------------------------------------------------------------------

  private void machine() {
    report.note("machine: " + Runtime.getRuntime().availableProcessors() + " cpus (nproc), "
        + "JDK " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + ", main JVM max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB, "
        + "JVM args " + ManagementFactory.getRuntimeMXBean().getInputArguments()
        + ", load average at the start " + Report.loadAverages());
  }

  // ---- baselines ---------------------------------------------------------------------------------

  private void baselines() throws Exception {
    Path log = work.resolve("baselines.log");
    for (int size : SIZES) {
      try (ClientJvm tcp = ClientJvm.start(List.of(), SocketEcho.class, log, "tcp");
          SocketChannel ch = SocketEcho.connectTcp(Integer.parseInt(tcp.ready))) {
        report.latency("floor: Java TCP ping-pong 127.0.0.1", size, SocketEcho.pingPong(ch, size, warmup(size), count(size)));
      }
      Path sock = work.resolve("echo-" + size + ".sock");
      try (ClientJvm uds = ClientJvm.start(List.of(), SocketEcho.class, log, "uds", sock.toString());
          SocketChannel ch = SocketEcho.connectUds(sock)) {
        udsFloorRows(ch, size);
      }
    }
    node();
    rawArtery(log);
  }

  /** The Unix-socket floor of one size: its caller blocked in each read, then polling first as invokeSync does. */
  private void udsFloorRows(SocketChannel ch, int size) throws IOException {
    report.latency("floor: Java Unix domain socket ping-pong", size, SocketEcho.pingPong(ch, size, warmup(size), count(size)));
    report.latency(UDS_SPINNING, size, SocketEcho.pingPongSpinning(ch, size, warmup(size), count(size), SYNC_SPIN_NANOS));
  }

  private void node() throws Exception {
    NodeScript node = nodeScript("Node.js baseline");
    if (node == null) {
      return;
    }
    for (int size : SIZES) {
      report.latency("baseline: Node.js child_process.fork IPC", size, nodePingPong(node, size));
    }
    JsonNode flood = nodeFlood(node);
    report.throughput("baseline: Node.js fork IPC one-way, child to parent, 100 B", flood.get("count").asLong(), flood.get("nanos").asLong());
  }

  /** node and benchmarks/src/main/node/fork-parent.js. */
  private record NodeScript(String node, Path script) {}

  /** Node's IPC script and a node to run it, or null when either is missing (noted as "{@code what} skipped: why"). */
  private NodeScript nodeScript(String what) {
    String node = findNode();
    Path script = nodeScripts().resolve("fork-parent.js");
    if (node == null || !Files.isRegularFile(script)) {
      report.note(what + " skipped: " + (node == null ? "no node on PATH" : "no " + script));
      return null;
    }
    return new NodeScript(node, script);
  }

  /** Node's ping-pong of {@code size} bytes, with the counts of our rows of that size. */
  private JsonNode nodePingPong(NodeScript node, int size) throws Exception {
    return runNode(node, "pingpong", String.valueOf(size), String.valueOf(warmup(size)), String.valueOf(count(size)));
  }

  /** Node's one-way flood of 100 B messages, with the counts of our event rows. */
  private JsonNode nodeFlood(NodeScript node) throws Exception {
    return runNode(node, "flood", "100", String.valueOf(n.events()), String.valueOf(eventWarmup()));
  }

  private JsonNode runNode(NodeScript node, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(node.node(), node.script().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("node.log").toFile())).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = r.readLine();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      if (line == null) {
        throw new IOException("node " + String.join(" ", args) + " printed nothing; see node.log");
      }
      return PayloadCodec.parseJson(line);
    }
  }

  private void rawArtery(Path log) throws Exception {
    Config edge = MainConfig.forSystem(MainConfig.load(Map.of("browseros.data-dir", work.toString())), "edge");
    long frame = edge.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    withRawArtery(log, (client, echo) -> {
      for (int size : SIZES) {
        if (size + 1024 > frame) {
          report.unsupported(RAW_ARTERY, size,
              "over Artery maximum-frame-size " + frame / KIB + " KiB");
          continue;
        }
        report.latency(RAW_ARTERY, size, RawArtery.pingPong(client, echo, size, warmup(size), count(size)));
      }
    });
  }

  /** What runs against raw Artery: a client system in this JVM and the echo actor's path in its server JVM. */
  private interface RawArteryRun {
    void run(ActorSystem<Void> client, String echo) throws Exception;
  }

  /** Starts raw Artery's echo server JVM and a client system here for {@code run}, and stops both after it. */
  private void withRawArtery(Path log, RawArteryRun run) throws Exception {
    ActorSystem<Void> client = ActorSystem.create(Behaviors.empty(), "rawclient", RendererConfig.load());
    try (ClientJvm server = ClientJvm.start(rendererJvmOptions(), RawArtery.class, log, work.toString())) {
      run.run(client, server.ready);
    } finally {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  private void focus() throws Exception {
    Path log = work.resolve("baselines.log");
    for (int size : SIZES) {
      Path sock = work.resolve("echo-focus-" + size + ".sock");
      try (ClientJvm uds = ClientJvm.start(List.of(), SocketEcho.class, log, "uds", sock.toString());
          SocketChannel ch = SocketEcho.connectUds(sock)) {
        udsFloorRows(ch, size);
      }
    }
    node();
    withRawArtery(log, (client, echo) ->
        report.latency(RAW_ARTERY, 100, RawArtery.pingPong(client, echo, 100, n.smallWarmup(), n.small())));
    stack();
  }

  // ---- our stack ---------------------------------------------------------------------------------

  /**
   * Main in this JVM as the stack's rows run it: the bench handlers and 2 launched renderers, on the
   * same transport as the raw Artery baseline, plain TCP (the data plane is a Unix socket either way;
   * mutual TLS, the default, has its own row: tlsEchoRow).
   */
  private MainNode startMain(Path dataDir) throws Exception {
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    registerHandlers(ipcMain, eventCounts);
    ipcMain.on(BenchChannels.ACK, (event, ack) -> fanOut.onAck(event.rendererId(), ack));
    MainNode main = MainNode.start(MainConfig.load(mainOverrides(dataDir, 2, true)), ipcMain);
    if (!main.awaitRenderersConnected(Duration.ofSeconds(60))) {
      main.close();
      throw new IllegalStateException("launched renderers did not connect: " + main.renderers());
    }
    return main;
  }

  /** The tab-heap row alone ({@code scripts/bench --tabs}), in a main that ran nothing else. */
  private void tabsOnly() throws Exception {
    Path dataDir = work.resolve("main");
    try (MainNode main = startMain(dataDir)) {
      tabHeap(main, rendererJvmOptions(main.config()), dataDir.resolve("bench-clients.log"), dataDir);
    }
  }

  private void stack() throws Exception {
    Path dataDir = work.resolve("main");
    MainNode main = startMain(dataDir);
    List<ClientJvm> clients = new ArrayList<>();
    try {
      // The spare starts 2 s after the renderers connected: let it finish starting before any row.
      if (awaitSpare(dataDir, () -> main.renderers().renderers().stream()
          .filter(r -> RendererSupervisor.SPARE.equals(r.rendererId())).map(RendererInfo::pid).findFirst().orElse(null)) < 0) {
        report.note("the spare renderer was not ready within 60 s of the renderers connecting; rows ran beside its start");
      }
      List<String> jvm = rendererJvmOptions(main.config());
      report.note("renderer and bench-client JVM options: " + jvm);
      Path log = dataDir.resolve("bench-clients.log");
      List<CompletableFuture<ClientJvm>> starting = new ArrayList<>();
      for (int i = 0; i < n.fanOutClients(); i++) {
        starting.add(CompletableFuture.supplyAsync(() -> {
          try {
            return ClientJvm.start(jvm, BenchClient.class, log, dataDir.toString());
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }));
      }
      // One more measuring renderer with the data plane off: the same stack over Artery, in the same run.
      List<String> arteryJvm = new ArrayList<>(jvm);
      arteryJvm.add("-Dbrowseros.renderer.data-plane.enabled=false");
      CompletableFuture<ClientJvm> startingArtery = CompletableFuture.supplyAsync(() -> {
        try {
          return ClientJvm.start(arteryJvm, BenchClient.class, log, dataDir.toString());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      for (CompletableFuture<ClientJvm> f : starting) {
        clients.add(f.get(120, TimeUnit.SECONDS));
      }
      ClientJvm artery = startingArtery.get(120, TimeUnit.SECONDS);
      clients.add(artery);
      DataPlaneServer dataPlane = DataPlaneServer.get(main.edgeSystem());
      long expected = 2 + n.fanOutClients();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (dataPlane.attachedSessions() < expected && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      report.note("data plane: " + dataPlane.attachedSessions() + " of " + expected + " local clients switched to "
          + dataPlane.socketPath() + " (the Artery bench client has it off)");
      settle();
      ClientJvm one = clients.get(0);
      long envelopesBefore = dataPlane.envelopesIn();
      for (int size : SIZES) {
        echoRow(ECHO_DATA_PLANE, one, size);
      }
      for (int size : SIZES) {
        JsonNode r = one.call("echo-chained " + size + " " + warmup(size) + " " + count(size));
        report.latency(ECHO_CHAINED, size, r);
      }
      for (int size : SIZES) {
        report.latency(ECHO_SYNC, size, one.call("echo-sync " + size + " " + warmup(size) + " " + count(size)));
      }
      phase("small invokes, floors and Node alternated with ours", () -> smallInvokesAlternated(one));
      report.note("data plane: " + (dataPlane.envelopesIn() - envelopesBefore) + " envelopes came over the socket during the data-plane echo rows");
      envelopesBefore = dataPlane.envelopesIn();
      for (int size : SIZES) {
        echoRow(ECHO_ARTERY, artery, size);
      }
      phase("small invokes over Artery alternated with raw Artery", () -> arteryAlternated(artery, log));
      report.note("data plane: " + (dataPlane.envelopesIn() - envelopesBefore) + " envelopes came over the socket during the Artery echo rows");
      phase("invoke over Artery with mutual TLS", () -> tlsEchoRow(arteryJvm, log));
      if (!n.focus()) {
        report.latency("ours: invoke settings:update (validated, journaled, replied)", 0,
            one.call("settings " + n.settingsWarmup() + " " + n.settings()));
      }
      phase("event throughput, 1 renderer", () -> eventThroughput(clients, 1, ", data plane"));
      phase("event throughput, 1 renderer, alternated with Node", () -> eventsAlternatedWithNode(clients.get(0)));
      phase("event throughput, 4 renderers", () -> eventThroughput(clients, Math.min(4, n.fanOutClients()), ", data plane"));
      phase("event throughput, 1 renderer, Artery", () -> eventThroughput(List.of(artery), 1, ", Artery (data plane off)"));
      phase("invoke throughput, 1 renderer", () -> invokeThroughput(clients, 1, ", data plane"));
      phase("invoke throughput, 4 renderers", () -> invokeThroughput(clients, Math.min(4, n.fanOutClients()), ", data plane"));
      phase("invoke throughput, 1 renderer, Artery", () -> invokeThroughput(List.of(artery), 1, ", Artery (data plane off)"));
      clients.remove(artery);
      artery.close();
      if (!n.focus()) {
        phase("fan-out", () -> fanOuts(main, clients));
      }
      clients.forEach(ClientJvm::close);
      clients.clear();
      phase("idle CPU", () -> idleCpu(main));
      if (!n.focus()) {
        phase("tab heap", () -> tabHeap(main, jvm, log, dataDir));
      }
    } finally {
      clients.forEach(ClientJvm::close);
      main.close();
    }
  }

  /**
   * The default transport for a renderer that cannot use the data plane (another machine): Artery
   * with mutual TLS. A second main in this JVM, TLS on (the default), no launched renderers.
   */
  private void tlsEchoRow(List<String> arteryJvm, Path log) throws Exception {
    IpcMain tlsIpc = new IpcMain(Duration.ofSeconds(5));
    registerHandlers(tlsIpc, new ConcurrentHashMap<>());
    Path dataDir = work.resolve("main-tls");
    Map<String, Object> overrides = mainOverrides(dataDir, 0, false);
    overrides.put("browseros.inspector.port", 0);
    try (MainNode tlsMain = MainNode.start(MainConfig.load(overrides), tlsIpc);
        ClientJvm client = ClientJvm.start(arteryJvm, BenchClient.class, log, dataDir.toString())) {
      echoRow(ECHO_TLS, client, 100);
    }
  }

  /**
   * Ten JVMs just started (2 renderers, 8 clients) and keep a core busy compiling for a while; the
   * baselines ran on a quiet machine. Our rows start once the 1-minute load has come down (at most
   * 60 s), so that the ratios compare like with like; the load column shows what each row ran at.
   */
  private void settle() throws InterruptedException {
    if (n.small() < 10_000) {
      return; // smoke and quick runs check the harness, not the figures
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (oneMinuteLoad() > 2.5 && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    report.note("our rows started at load " + Report.loadAverages() + " (waited up to 60 s for the JVMs' start-up to pass)");
  }

  private static double oneMinuteLoad() {
    try {
      return Double.parseDouble(Report.load());
    } catch (NumberFormatException e) {
      return 0; // no /proc/loadavg: nothing to wait for
    }
  }

  /** The bench channels' handlers in main: echo, the event counter with its credit, the count. */
  static void registerHandlers(IpcMain ipcMain, Map<String, AtomicLong> eventCounts) {
    ipcMain.handle(BenchChannels.ECHO, (event, payload) -> payload);
    ipcMain.on(BenchChannels.EVENT, (event, payload) -> {
      long c = eventCounts.computeIfAbsent(event.rendererId(), k -> new AtomicLong()).incrementAndGet();
      if (c % 256 == 0) {
        ipcMain.sendTo(event.rendererId(), BenchChannels.CREDIT, new BenchChannels.Credit(c));
      }
    });
    ipcMain.handle(BenchChannels.COUNTED, (event, none) ->
        new BenchChannels.Credit(eventCounts.computeIfAbsent(event.rendererId(), k -> new AtomicLong()).get()));
  }

  /** A main for measuring: any free ports, no rate limits (they would cap the throughput rows). */
  static Map<String, Object> mainOverrides(Path dataDir, int renderers, boolean plainTcp) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("browseros.data-dir", dataDir.toString());
    overrides.put("browseros.renderers.count", renderers);
    // As application.conf ships it: its idle CPU is counted with main's and the renderers'.
    overrides.put("browseros.renderers.spare.enabled", renderers > 0);
    overrides.put("browseros.edge.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.core.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.security.plain-tcp", plainTcp);
    for (String capability : List.of("shell", "web", "devtools")) {
      overrides.put("browseros.security.capabilities." + capability + ".rate-limit.per-second", 100_000_000);
      overrides.put("browseros.security.capabilities." + capability + ".rate-limit.burst", 100_000_000);
    }
    return overrides;
  }

  static final String ECHO_TLS = "ours: invoke app echo, Artery with mutual TLS (data plane off; the default for a renderer on another machine)";
  static final String ECHO_DATA_PLANE = "ours: invoke app echo, data plane (renderer JVM → Unix socket → Connection → IpcMain handler → reply)";
  static final String EVENTS_ALTERNATED = "alternated, median of 3: ours, send renderer→main, 100 B, 1 renderer, data plane";
  static final String NODE_FLOOD_ALTERNATED = "alternated, median of 3: Node.js fork IPC one-way, child to parent, 100 B";
  /** browseros.renderer.invoke-sync-spin as shipped, for the floor that invokeSync's row is judged against. */
  static final long SYNC_SPIN_NANOS = RendererConfig.load().getDuration("browseros.renderer.invoke-sync-spin").toNanos();
  static final String UDS_SPINNING = "floor: Java Unix domain socket ping-pong, the caller polls up to invoke-sync-spin, then blocks";
  static final String ECHO_SYNC = "ours: invokeSync app echo, data plane (Electron's sendSync: the caller spins up to "
      + "browseros.renderer.invoke-sync-spin = 200 µs, then parks)";
  static final String FLOOR_ALTERNATED = "alternated, median of 3: floor: Java Unix domain socket ping-pong";
  static final String ECHO_ALTERNATED = "alternated, median of 3: ours: invoke app echo, data plane, caller blocked on get()";
  static final String FLOOR_SPINNING_ALTERNATED = "alternated, median of 3: floor: Java Unix domain socket ping-pong, "
      + "the caller polls up to invoke-sync-spin, then blocks";
  static final String SYNC_ALTERNATED = "alternated, median of 3: ours: invokeSync app echo, data plane";
  static final String NODE_ALTERNATED = "alternated, median of 3: baseline: Node.js child_process.fork IPC";
  static final String CHAINED_ALTERNATED = "alternated, median of 3: ours: invoke app echo, data plane, each next invoke "
      + "from the reply's callback";
  static final String ECHO_CHAINED = "ours: invoke app echo, data plane, each next invoke from the reply's callback (as Node's ping-pong runs)";
  static final String ECHO_ARTERY = "ours: invoke app echo, Artery (data plane off: renderer JVM → Artery → Connection → IpcMain handler → reply)";
  static final String RAW_ARTERY = "raw Artery typed ask (edge config, no our layers)";
  static final String RAW_ARTERY_ALTERNATED = "alternated, median of 3: raw Artery typed ask (edge config, no our layers)";
  static final String ARTERY_ALTERNATED = "alternated, median of 3: ours: invoke app echo, Artery (data plane off)";

  private void echoRow(String name, ClientJvm client, int size) throws IOException {
    JsonNode r = client.call("echo " + size + " " + warmup(size) + " " + count(size));
    if (r.has("error")) {
      report.unsupported(name, size, "not supported yet: " + r.get("error").asText());
    } else {
      report.latency(name, size, r);
    }
  }

  /**
   * Events sent unmeasured before an event row's clock starts, Node's as ours: steady state, as the
   * latency rows measure after their warm-up. Twice the measured count: main's C2 and the
   * renderer's C1 compile the send path within it even on a busy machine (measured: after one
   * count, main still spent 2 us of CPU per event compiling, after two 0.7 us).
   */
  private int eventWarmup() {
    return 2 * n.events();
  }

  private void eventThroughput(List<ClientJvm> clients, int senders, String transport) throws Exception {
    List<CompletableFuture<JsonNode>> runs = new ArrayList<>();
    for (int i = 0; i < senders; i++) {
      ClientJvm c = clients.get(i);
      // Credit only where the transport drops instead of pushing back (Artery); the data plane paces the sender itself.
      int window = transport.contains("Artery") ? 1024 : 0;
      runs.add(CompletableFuture.supplyAsync(() -> call(c, "events 100 " + n.events() + " " + window + " " + eventWarmup())));
    }
    long count = 0;
    long maxNanos = 0;
    for (CompletableFuture<JsonNode> f : runs) {
      JsonNode r = f.get(300, TimeUnit.SECONDS);
      if (r.has("error")) {
        report.note("event throughput with " + senders + " sender(s) failed: " + r.get("error").asText());
        return;
      }
      count += r.get("received").asLong();
      maxNanos = Math.max(maxNanos, r.get("nanos").asLong());
    }
    report.throughput("ours: send renderer→main, counted by ipcMain.on, 100 B, " + senders + " renderer(s)" + transport, count, maxNanos);
  }

  /**
   * The event target's ratio from runs right after one another: Node's flood and ours alternated,
   * three of each, medians. The baselines phase runs Node's flood minutes before ours, and on a
   * shared machine the load in between moves either figure by more than the target's margin.
   */
  private void eventsAlternatedWithNode(ClientJvm client) throws Exception {
    NodeScript node = nodeScript("alternated event rows");
    if (node == null) {
      return;
    }
    List<long[]> ours = new ArrayList<>();
    List<long[]> theirs = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      JsonNode flood = nodeFlood(node);
      theirs.add(new long[] {flood.get("count").asLong(), flood.get("nanos").asLong()});
      JsonNode r = call(client, "events 100 " + n.events() + " 0 " + eventWarmup());
      if (r.has("error")) {
        report.note("alternated event rows failed: " + r.get("error").asText());
        return;
      }
      ours.add(new long[] {r.get("received").asLong(), r.get("nanos").asLong()});
    }
    long[] node50 = medianRate(theirs);
    long[] ours50 = medianRate(ours);
    report.throughput(NODE_FLOOD_ALTERNATED, node50[0], node50[1]);
    report.throughput(EVENTS_ALTERNATED, ours50[0], ours50[1]);
  }

  /**
   * The small-invoke targets' ratios from runs right after one another, as the event target's: three
   * rounds of the Unix-socket floor, our data-plane invoke (caller blocked on get()), the floor whose
   * caller polls, our invokeSync, Node's ping-pong and our callback-chained invoke; each percentile
   * the median of the three. The baselines phase measures the floors and Node minutes before our
   * rows, and on a shared machine the load in between moved a ratio by more than a target's margin
   * (the eighth session's two runs: the floor at load 1.6, ours at 2.1; a p99 most).
   */
  private void smallInvokesAlternated(ClientJvm client) throws Exception {
    int size = 100;
    String counts = size + " " + warmup(size) + " " + count(size);
    NodeScript node = nodeScript("alternated Node.js rows");
    Map<String, List<double[]>> runs = new LinkedHashMap<>();
    for (String name : List.of(FLOOR_ALTERNATED, ECHO_ALTERNATED, FLOOR_SPINNING_ALTERNATED, SYNC_ALTERNATED, NODE_ALTERNATED,
        CHAINED_ALTERNATED)) {
      runs.put(name, new ArrayList<>());
    }
    Path sock = work.resolve("echo-alternated.sock");
    try (ClientJvm uds = ClientJvm.start(List.of(), SocketEcho.class, work.resolve("baselines.log"), "uds", sock.toString());
        SocketChannel ch = SocketEcho.connectUds(sock)) {
      for (int round = 0; round < 3; round++) {
        runs.get(FLOOR_ALTERNATED).add(Report.percentiles(SocketEcho.pingPong(ch, size, warmup(size), count(size))));
        runs.get(ECHO_ALTERNATED).add(Report.percentiles(client.call("echo " + counts)));
        runs.get(FLOOR_SPINNING_ALTERNATED).add(Report.percentiles(
            SocketEcho.pingPongSpinning(ch, size, warmup(size), count(size), SYNC_SPIN_NANOS)));
        runs.get(SYNC_ALTERNATED).add(Report.percentiles(client.call("echo-sync " + counts)));
        if (node != null) {
          runs.get(NODE_ALTERNATED).add(Report.percentiles(nodePingPong(node, size)));
          runs.get(CHAINED_ALTERNATED).add(Report.percentiles(client.call("echo-chained " + counts)));
        }
      }
    }
    runs.forEach((name, measured) -> {
      if (!measured.isEmpty()) {
        report.latencyMedians(name, size, measured);
      }
    });
  }

  /**
   * The Artery layers target's pair from runs right after one another, as the small invokes': three
   * rounds of raw Artery's typed ask and our invoke over Artery (data plane off), 100 B. The raw row
   * of the baselines phase is measured minutes before ours, and that ratio moved between +6 % and
   * +35 % from run to run. Fully warmed in the first round only (the rows before warmed both paths).
   */
  private void arteryAlternated(ClientJvm artery, Path log) throws Exception {
    int size = 100;
    int count = Math.max(1, n.small() * 2 / 5);
    List<double[]> raw = new ArrayList<>();
    List<double[]> ours = new ArrayList<>();
    withRawArtery(log, (client, echo) -> {
      for (int round = 0; round < 3; round++) {
        int warmup = round == 0 ? warmup(size) : Math.max(1, warmup(size) / 10);
        raw.add(Report.percentiles(RawArtery.pingPong(client, echo, size, warmup, count)));
        ours.add(Report.percentiles(artery.call("echo " + size + " " + warmup + " " + count)));
      }
    });
    report.latencyMedians(RAW_ARTERY_ALTERNATED, size, raw);
    report.latencyMedians(ARTERY_ALTERNATED, size, ours);
  }

  /** The run (count, nanos) with the median rate. */
  private static long[] medianRate(List<long[]> runs) {
    List<long[]> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(r -> r[0] / (double) r[1]));
    return sorted.get(sorted.size() / 2);
  }

  private void invokeThroughput(List<ClientJvm> clients, int callers, String transport) throws Exception {
    List<CompletableFuture<JsonNode>> runs = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      ClientJvm c = clients.get(i);
      runs.add(CompletableFuture.supplyAsync(() -> call(c, "echo-pipelined 100 " + n.pipelined() + " 64")));
    }
    long count = 0;
    long maxNanos = 0;
    for (CompletableFuture<JsonNode> f : runs) {
      JsonNode r = f.get(300, TimeUnit.SECONDS);
      if (r.has("error")) {
        report.note("invoke throughput with " + callers + " renderer(s) failed: " + r.get("error").asText());
        return;
      }
      count += r.get("count").asLong();
      maxNanos = Math.max(maxNanos, r.get("nanos").asLong());
    }
    report.throughput("ours: invoke echo 100 B, 64 in flight per renderer, " + callers + " renderer(s)" + transport, count, maxNanos);
  }

  private static JsonNode call(ClientJvm c, String command) {
    try {
      return c.call(command);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void fanOuts(MainNode main, List<ClientJvm> clients) throws Exception {
    for (ClientJvm c : clients) {
      c.call("listen");
    }
    int k = clients.size();
    Histogram broadcast = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    for (int i = 0; i < n.fanOutWarmup() + n.fanOut(); i++) {
      long seq = i + 1;
      CompletableFuture<Long> done = fanOut.expect(k, s -> s == seq);
      long t0 = System.nanoTime();
      main.ipcMain().broadcast(BenchChannels.BROADCAST, new BenchChannels.Tick(seq, t0));
      long last = done.get(10, TimeUnit.SECONDS);
      if (i >= n.fanOutWarmup()) {
        broadcast.recordValue(last - t0);
      }
    }
    report.latency("ours: ipcMain.broadcast until all " + k + " renderers got it (+2 launched renderers also get it)", 100, broadcast);

    // The trigger is a console in this JVM: the delta's latency includes the invoke, validation and journal write.
    JsonNode credential = PayloadCodec.parseJson(Files.readString(main.dataDir().resolve("devtools.credential")));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "trigger", RendererConfig.load());
    try {
      IpcRenderer trigger = IpcRenderer.connect(system,
              ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText()))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      Histogram delta = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      for (int i = 0; i < n.fanOutWarmup() + n.fanOut(); i++) {
        long seen = fanOut.maxVersion.get();
        CompletableFuture<Long> done = fanOut.expect(k, s -> s < 0 && -s > seen);
        long t0 = System.nanoTime();
        trigger.invoke(Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(120 + i % 2 * 10)))
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
        long last = done.get(10, TimeUnit.SECONDS);
        if (i >= n.fanOutWarmup()) {
          delta.recordValue(last - t0);
        }
      }
      report.latency("ours: settings:update invoke until its state delta reached all " + k + " renderers", 0, delta);
      trigger.close();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  /** Collects fan-out acks (main side): completes when {@code expected} renderers acked a matching seq. */
  private static final class FanOut {
    private volatile LongPredicate accept = s -> false;
    private volatile int expected;
    private volatile CompletableFuture<Long> done = new CompletableFuture<>();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicLong last = new AtomicLong();
    final AtomicLong maxVersion = new AtomicLong();

    synchronized CompletableFuture<Long> expect(int count, LongPredicate predicate) {
      seen.clear();
      last.set(Long.MIN_VALUE);
      expected = count;
      done = new CompletableFuture<>();
      accept = predicate;
      return done;
    }

    synchronized void onAck(String renderer, BenchChannels.Ack ack) {
      if (ack.seq() < 0) {
        maxVersion.accumulateAndGet(-ack.seq(), Math::max);
      }
      if (accept.test(ack.seq()) && seen.add(renderer)) {
        last.accumulateAndGet(ack.receivedNanos(), Math::max);
        if (seen.size() == expected) {
          done.complete(last.get());
        }
      }
    }
  }

  /**
   * Idle CPU of main (this JVM) and its 2 launched renderers once the load rows ended and their
   * clients closed. A user's idle is a steady state, while the first seconds after the load still
   * finish its one-offs (the JIT's compile queue, GC, the closed clients' connections ending): those
   * seconds ({@code 3 × idle}) are measured and reported on a row of their own, and the target is
   * checked on the {@code idle} window after them. Main's JIT compiler threads are shown in both, as
   * they compile the idle paths for minutes after a start.
   */
  private void idleCpu(MainNode main) throws Exception {
    List<Long> pids = new ArrayList<>();
    pids.add(ProcessHandle.current().pid());
    int spares = 0;
    for (RendererInfo r : main.renderers().renderers()) {
      if (r.pid() != null) {
        pids.add(r.pid());
        spares += RendererSupervisor.SPARE.equals(r.rendererId()) ? 1 : 0;
      }
    }
    Duration settle = n.idle().multipliedBy(3);
    String renderers = (pids.size() - 1 - spares) + " renderers" + (spares > 0 ? " + the spare" : "");
    CpuProbe probe = new CpuProbe(pids);
    String firstLoad = Report.load();
    Window first = probe.measure(settle);
    String steadyLoad = Report.load();
    Window steady = probe.measure(n.idle());
    // Reported once both windows are measured: formatting in main's JVM between them is the harness's work.
    report.value("ours: idle CPU, main + " + renderers + ", first " + settle.toSeconds()
        + " s after the load ended (JIT, GC, clients closing; not the target's window), % of one core",
        first.describe(firstLoad));
    report.value("ours: idle CPU, main + " + renderers + ", " + n.idle().toSeconds() + " s from " + settle.toSeconds()
        + " s after the load ended, % of one core", steady.describe(steadyLoad));
    report.target("idle CPU main + 2 renderers < 1% of one core (" + (spares > 0 ? "the spare included, " : "")
        + n.idle().toSeconds() + " s, after "
        + settle.toSeconds() + " s of settling)", String.format("%.2f %%", steady.total()), steady.total() < 1.0);
  }

  /** Something that may fail, for polling. */
  interface Probe<T> {
    T get() throws Exception;
  }

  /**
   * Waits (at most 60 s) until the spare renderer, whose pid {@code sparePid} gives once main
   * launched it, says in {@code <data-dir>/logs/spare.log} that it is ready; its pid, or -1.
   */
  static long awaitSpare(Path dataDir, Probe<Long> sparePid) throws Exception {
    Path log = dataDir.resolve("logs").resolve("spare.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Long pid = sparePid.get();
      if (pid != null && Files.exists(log) && Files.readString(log).contains("spare renderer ready (pid " + pid + ")")) {
        return pid;
      }
      Thread.sleep(100);
    }
    return -1;
  }

  /**
   * Reads the CPU of main (this JVM, the first pid) and its renderers in nanoseconds, as the sum of
   * their threads' time on a CPU: {@code /proc/<pid>/stat} counts whole ticks of 10 ms, ±0.1 % of a
   * core per process over 10 s, four processes in the row. A thread that ends within a window takes
   * its time in it along (a dispatcher's thread ends only after a minute without work).
   *
   * <p>The harness runs in main's JVM, so its reading must cost main as little as it can: main's JIT
   * compiler threads are found once (walking main's threads by name twice at each end of a window,
   * in ticks, triggered compilations that landed in the window), and main's own pass over its
   * threads is the last reading before a window and the first after it (a few milliseconds of it
   * fall inside).
   */
  static final class CpuProbe {
    private final long self = ProcessHandle.current().pid();
    private final List<Long> pids;
    private final List<Path> compilerThreads;

    CpuProbe(List<Long> pids) throws IOException {
      this.pids = pids;
      this.compilerThreads = ProcStat.threads(self, "C1 Compiler", "C2 Compiler");
    }

    /** CPU of each pid (in the constructor's order) and of main's JIT threads, in ns, while {@code task} ran. */
    record Usage(List<Long> nanos, long jitNanos, double seconds) {}

    Window measure(Duration length) throws Exception {
      Usage usage = during(() -> Thread.sleep(length.toMillis()));
      List<Double> pct = new ArrayList<>();
      for (long nanos : usage.nanos()) {
        pct.add(percent(nanos, usage.seconds()));
      }
      return new Window(pids, pct, percent(usage.jitNanos(), usage.seconds()), usage.seconds());
    }

    Usage during(Phase task) throws Exception {
      Map<Long, Long> before = new LinkedHashMap<>();
      for (long pid : pids.subList(1, pids.size())) {
        before.put(pid, ProcStat.cpuNanos(pid));
      }
      long jitBefore = ProcStat.threadNanos(compilerThreads);
      long mainBefore = ProcStat.cpuNanos(self);
      long t0 = System.nanoTime();
      task.run();
      long mainAfter = ProcStat.cpuNanos(self);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long jit = ProcStat.threadNanos(compilerThreads) - jitBefore;
      List<Long> nanos = new ArrayList<>();
      nanos.add(mainAfter - mainBefore);
      for (long pid : pids.subList(1, pids.size())) {
        nanos.add(ProcStat.cpuNanos(pid) - before.get(pid));
      }
      return new Usage(nanos, jit, seconds);
    }

    private static double percent(long nanos, double seconds) {
      return nanos / 1e9 / seconds * 100;
    }
  }

  /** CPU of the given processes over one window; the first pid is this JVM (main). */
  record Window(List<Long> pids, List<Double> pct, double mainJitPct, double seconds) {
    double total() {
      return pct.stream().mapToDouble(Double::doubleValue).sum();
    }

    String describe(String load) {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < pids.size(); i++) {
        parts.add(String.format("pid %d %.2f%%", pids.get(i), pct.get(i)));
      }
      return String.format("%.2f %% (%s; of main's, its JIT compiler threads %.2f%%; load %s)", total(),
          String.join(", ", parts), mainJitPct, load);
    }
  }

  private void tabHeap(MainNode main, List<String> jvm, Path log, Path dataDir) throws Exception {
    long before = usedHeapAfterGc();
    HeapHistogram histogramBefore = HeapHistogram.take();
    // Every launched renderer (and the spare) gets each state delta the tabs make.
    List<RendererInfo> renderers = main.renderers().renderers().stream().filter(info -> info.pid() != null).toList();
    List<Long> pids = new ArrayList<>(List.of(ProcessHandle.current().pid()));
    renderers.forEach(info -> pids.add(info.pid()));
    CpuProbe probe = new CpuProbe(pids);
    try (ClientJvm c = ClientJvm.start(jvm, BenchClient.class, log, dataDir.toString())) {
      JsonNode[] reply = new JsonNode[1];
      CpuProbe.Usage usage = probe.during(() -> reply[0] = c.call("tabs " + n.tabs() + " 32"));
      JsonNode r = reply[0];
      long mainCpu = usage.nanos().get(0);
      List<String> rendererCpu = new ArrayList<>();
      for (int i = 0; i < renderers.size(); i++) {
        rendererCpu.add(String.format("%s %.0f µs", renderers.get(i).rendererId(), usage.nanos().get(i + 1) / 1_000.0 / n.tabs()));
      }
      if (r.has("error")) {
        report.note("tab heap: creating tabs failed: " + r.get("error").asText());
        report.target(n.tabs() + " tabs in a 256 MiB main heap", "failed: " + r.get("error").asText(), false);
        return;
      }
      report.throughput("ours: tab:create, 32 in flight, 100 tabs per window (journaled)", r.get("count").asLong(), r.get("nanos").asLong());
      report.value("ours: main's CPU per tab:create (journaled; main's JVM, all threads)",
          String.format("%.0f µs", mainCpu / 1_000.0 / n.tabs()));
      report.value("ours: each renderer's CPU per tab:create (applying the state deltas)", String.join(", ", rendererCpu));
    }
    long after = usedHeapAfterGc();
    HeapHistogram histogramAfter = HeapHistogram.take();
    long max = Runtime.getRuntime().maxMemory();
    report.value("ours: main heap per open tab (" + n.tabs() + " tabs, used heap after GC)",
        String.format("%.0f bytes/tab (%d → %d MiB used, max heap %d MiB); live objects %.0f bytes/tab", (after - before) / (double) n.tabs(),
            before >> 20, after >> 20, max >> 20, (histogramAfter.totalBytes() - histogramBefore.totalBytes()) / (double) n.tabs()));
    report.note(tabHeapGrowth(histogramBefore, histogramAfter, n.tabs()));
    report.target(n.tabs() + " tabs in a 256 MiB main heap", (after >> 20) + " MiB used of " + (max >> 20) + " MiB max",
        max <= 256L * 1024 * 1024 + (16L << 20) && after < 256L * 1024 * 1024);
  }

  /** Which classes the tabs' heap is made of: live objects after a full GC, before and after the row. */
  static String tabHeapGrowth(HeapHistogram before, HeapHistogram after, int tabs) {
    List<String> parts = new ArrayList<>();
    for (HeapHistogram.Growth g : after.growthSince(before, 12)) {
      parts.add(String.format("%s %+.0f B/tab (%+d)", g.className(), g.bytes() / (double) tabs, g.instances()));
    }
    return String.format("tab heap by class (live objects after a full GC, %+.1f MiB in all; the 12 that grew most): %s",
        (after.totalBytes() - before.totalBytes()) / (double) (1 << 20), String.join(", ", parts));
  }

  /** Read right after the last collection: what other threads allocate meanwhile is not the tabs' heap. */
  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      Thread.sleep(200);
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- start-up ----------------------------------------------------------------------------------

  /** One start of main with 2 renderers: spawn → gateway up and → ready line, each renderer's launch → connected. */
  record StartupRun(long gatewayMs, long readyMs, List<Long> rendererMs, String load) {}

  /**
   * Main with 2 renderers started as a user starts it: {@code scripts/main-process} (build skipped),
   * with its JVM options, the renderers' own classpath and the AppCDS archives it keeps in the data
   * dir. The first start of a new data dir is a row of its own (key material and journal created, no
   * archive yet: it records the classes); the second builds the archives in the background; the
   * measured starts after it map them, as a user's later starts do. With
   * {@code BROWSEROS_BENCH_AOT_JAVA_HOME} set to a JDK 25+, the same again on that JDK with the
   * launcher's opt-in AOT cache ({@code BROWSEROS_AOT=on}), in a data dir of its own.
   */
  private void startup() throws Exception {
    if (n.startups() == 0) {
      return;
    }
    Path script = launcher();
    if (script == null) {
      report.note("start-up skipped: scripts/main-process not found (run the harness from the repository)");
      return;
    }
    Path dataDir = startupSeries(script, "JDK " + Runtime.version().feature() + ", AppCDS", Map.of(), true);
    relaunchRows(script, dataDir);
    String aotJavaHome = System.getenv("BROWSEROS_BENCH_AOT_JAVA_HOME");
    if (aotJavaHome != null && !aotJavaHome.isBlank()) {
      startupSeries(script, "java of " + aotJavaHome + ", AOT cache",
          Map.of("JAVA_HOME", aotJavaHome, "BROWSEROS_AOT", "on"), false);
    }
  }

  /** The series' data dir, with its archives. */
  private Path startupSeries(Path script, String label, Map<String, String> env, boolean targets) throws Exception {
    Path dataDir = work.resolve("startup-" + label.replaceAll("[^A-Za-z0-9]+", "-"));
    StartupRun cold = startOnce(script, dataDir, env);
    report.value("ours: first start of a new data dir (scripts/main-process, " + label + " not built yet; key material, journal): "
            + "spawn until gateway up / ready line; renderer launch until connected",
        cold.gatewayMs() + " ms / " + cold.readyMs() + " ms; " + cold.rendererMs() + " ms (load " + cold.load() + ")");
    // The archives are built in the background from what the first start recorded, right after this start began.
    Map<String, String> dumpNow = new HashMap<>(env);
    dumpNow.put("BROWSEROS_CDS_DUMP_DELAY", "0");
    startOnce(script, dataDir, dumpNow);
    if (!awaitArchives(dataDir.resolve("cds"))) {
      report.note("start-up (" + label + "): no archive of main and the renderers after 3 minutes; the starts below ran without");
    }
    List<Long> gateway = new ArrayList<>();
    List<Long> ready = new ArrayList<>();
    List<Long> rendererConnect = new ArrayList<>();
    List<String> loads = new ArrayList<>();
    for (int run = 0; run < n.startups(); run++) {
      StartupRun r = startOnce(script, dataDir, env);
      if (r.gatewayMs() >= 0) {
        gateway.add(r.gatewayMs());
      }
      if (r.readyMs() >= 0) {
        ready.add(r.readyMs());
      }
      rendererConnect.addAll(r.rendererMs());
      loads.add(r.load());
    }
    long gatewayMs = Report.median(gateway);
    long readyMs = Report.median(ready);
    long rendererMs = max(rendererConnect);
    String how = " (scripts/main-process, " + label + ")";
    report.value("ours: main JVM spawn until gateway up" + how + " (median of " + gateway.size() + ")", gatewayMs + " ms " + gateway
        + " (load " + String.join("; ", loads) + ")");
    report.value("ours: main JVM spawn until ready line, 2 renderers connected" + how + " (median)", readyMs + " ms " + ready);
    report.value("ours: renderer launch until connected" + how + " (supervisor log, max of all)", rendererMs + " ms " + rendererConnect);
    if (targets) {
      report.target("main ready < 2 s (spawn until gateway up" + how + ")", gatewayMs + " ms", gatewayMs >= 0 && gatewayMs < 2000);
      report.target("renderer connected < 1.5 s (launch until connected" + how + ")", rendererMs + " ms",
          rendererMs >= 0 && rendererMs < 1500);
    }
    return dataDir;
  }

  static final String RELAUNCH_SPARE = "ours: renderer relaunch after SIGKILL, launch until connected, the spare renderer "
      + "(application.conf's default; scripts/main-process, AppCDS)";
  static final String RELAUNCH_COLD = "ours: renderer relaunch after SIGKILL, launch until connected, spare off "
      + "(-Dbrowseros.renderers.spare.enabled=off: a cold JVM)";

  /**
   * A renderer that crashes after the start: renderer-1 killed (SIGKILL) {@code startups} times in a
   * main started by {@code scripts/main-process}, relaunched after the supervisor's backoff; launch
   * → connected from main's log. Once as shipped (the spare renderer), once with the spare off, one
   * main after the other in the series' data dir (archives mapped). Before each kill the spare (or,
   * without one, the same 2 s + its start) has had its time, so each relaunch finds a settled machine.
   */
  private void relaunchRows(Path script, Path dataDir) throws Exception {
    List<Long> spare = relaunches(script, dataDir, true);
    List<Long> cold = relaunches(script, dataDir, false);
    long spareMs = Report.median(spare);
    long coldMs = Report.median(cold);
    report.value(RELAUNCH_SPARE + " (median of " + spare.size() + ")", spareMs + " ms " + spare);
    report.value(RELAUNCH_COLD + " (median of " + cold.size() + ")", coldMs + " ms " + cold);
    if (spareMs > 0 && coldMs > 0) {
      report.value("ratio: relaunch with the spare / cold relaunch (medians, same run)", String.format("%.3fx", spareMs / (double) coldMs));
    }
    report.target("renderer connected < 1.5 s (a relaunch with the spare: launch until connected)", spareMs + " ms",
        spareMs >= 0 && spareMs < 1500);
  }

  private List<Long> relaunches(Path script, Path dataDir, boolean spare) throws Exception {
    Path mainLog = dataDir.resolve("logs").resolve("main.log");
    Files.deleteIfExists(dataDir.resolve("logs").resolve("spare.log"));
    Process p = startLauncher(script, dataDir, Map.of(), "-Dbrowseros.renderers.spare.enabled=" + (spare ? "on" : "off"));
    List<Long> ms = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null && !line.contains("main process ready")) {
        // up to the ready line
      }
      for (int k = 1; k <= n.startups() && line != null; k++) {
        if (spare) {
          int launched = k;
          if (awaitSpare(dataDir, () -> nthSparePid(mainLog, launched)) < 0) {
            report.note("relaunch " + k + ": no spare renderer ready within 60 s; stopped");
            break;
          }
        } else {
          Thread.sleep(2000 + 3000);
        }
        Thread.sleep(1000);
        long pid = rendererPid(dataDir, "renderer-1");
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<Long> times = StartupIdle.launchToConnected(mainLog);
        while (times.size() < 2 + k && System.nanoTime() < deadline) {
          Thread.sleep(100);
          times = StartupIdle.launchToConnected(mainLog);
        }
        if (times.size() < 2 + k) {
          report.note("relaunch " + k + (spare ? " (spare)" : " (cold)") + ": renderer-1 did not connect within 60 s; stopped");
          break;
        }
        ms.add(times.get(times.size() - 1));
      }
    } finally {
      stopLauncher(p);
    }
    return ms;
  }

  /** The pid of the n-th spare main launched ("Launched a spare renderer pid [N]"), or null. */
  static Long nthSparePid(Path mainLog, int nth) throws IOException {
    if (!Files.exists(mainLog)) {
      return null;
    }
    String marker = "Launched a spare renderer pid [";
    int seen = 0;
    for (String line : Files.readAllLines(mainLog, StandardCharsets.UTF_8)) {
      int i = line.indexOf(marker);
      if (i >= 0 && ++seen == nth) {
        int start = i + marker.length();
        return Long.parseLong(line.substring(start, line.indexOf(']', start)));
      }
    }
    return null;
  }

  /** A renderer's pid from {@code <data-dir>/renderers.json}, which the supervisor keeps current. */
  static long rendererPid(Path dataDir, String rendererId) throws IOException {
    JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dataDir.resolve("renderers.json").toFile());
    for (JsonNode r : root.path("renderers")) {
      if (rendererId.equals(r.path("id").asText())) {
        return r.path("pid").asLong();
      }
    }
    throw new IOException("no " + rendererId + " in renderers.json");
  }

  /** {@code scripts/main-process} of this checkout, or null when the harness runs elsewhere. */
  static Path launcher() {
    for (String candidate : List.of("scripts/main-process", "../scripts/main-process")) {
      Path p = Path.of(candidate).toAbsolutePath().normalize();
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** The command line of one start: free ports, 2 renderers, the given data dir. */
  static List<String> launcherCommand(Path script, Path dataDir) {
    return List.of(script.toString(), "--data-dir", dataDir.toString(), "--renderers", "2", "--edge-port", "0",
        "--core-port", "0", "--inspector-port", "0");
  }

  /** Waits (at most 3 minutes) until no archive is being built in the data dir's cds dir, then says whether main's exists. */
  private static boolean awaitArchives(Path cds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      try (var files = Files.list(cds)) {
        if (files.noneMatch(f -> f.getFileName().toString().contains(".dumping."))) {
          break;
        }
      }
      Thread.sleep(500);
    }
    return Files.exists(cds.resolve("main.jsa")) || Files.exists(cds.resolve("main.aot"));
  }

  /**
   * {@code scripts/main-process} started as the start-up rows start it: build skipped, the
   * harness's forwarded properties plus {@code javaOpts}, {@code env} on top. Main logs INFO to
   * {@code <data-dir>/logs/main.log} only (its console shows warnings): the file is emptied first,
   * so that it holds this start's lines.
   */
  static Process startLauncher(Path script, Path dataDir, Map<String, String> env, String... javaOpts) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(launcherCommand(script, dataDir))
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    List<String> opts = new ArrayList<>(ClientJvm.forwardedProperties());
    opts.addAll(List.of(javaOpts));
    builder.environment().put("BROWSEROS_SKIP_BUILD", "1");
    builder.environment().put("BROWSEROS_JAVA_OPTS", String.join(" ", opts));
    builder.environment().putAll(env);
    Files.deleteIfExists(dataDir.resolve("logs").resolve("main.log"));
    return builder.start();
  }

  /** Stops a launcher start and, if it does not go within 30 s, everything it started. */
  static void stopLauncher(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  static StartupRun startOnce(Path script, Path dataDir, Map<String, String> env) throws Exception {
    Path mainLog = dataDir.resolve("logs").resolve("main.log");
    String load = Report.load();
    LocalDateTime spawnedAt = LocalDateTime.now();
    long t0 = System.nanoTime();
    Process p = startLauncher(script, dataDir, env);
    long readyMs = -1;
    long gatewayMs = -1;
    List<Long> rendererMs = List.of();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.contains("main process ready")) {
          readyMs = (System.nanoTime() - t0) / 1_000_000;
          break;
        }
      }
      // The file appender is asynchronous: wait (bounded) for the gateway and both renderers' lines.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      do {
        Thread.sleep(100);
        gatewayMs = StartupIdle.logOffset(mainLog, "Gateway up at", spawnedAt);
        rendererMs = StartupIdle.launchToConnected(mainLog);
      } while ((gatewayMs < 0 || rendererMs.size() < 2) && System.nanoTime() < deadline);
    } finally {
      stopLauncher(p);
    }
    return new StartupRun(gatewayMs, readyMs, rendererMs, load);
  }

  private static long max(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).max().orElse(-1);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private int warmup(int size) {
    return size <= 100 ? n.smallWarmup() : size <= 64 * KIB ? n.largeWarmup() : n.hugeWarmup();
  }

  private int count(int size) {
    return size <= 100 ? n.small() : size <= 64 * KIB ? n.large() : n.huge();
  }

  private List<String> rendererJvmOptions() {
    return rendererJvmOptions(MainConfig.load(Map.of("browseros.data-dir", work.toString())));
  }

  private static List<String> rendererJvmOptions(Config config) {
    return config.getStringList("browseros.renderers.jvm-options");
  }

  private static Path nodeScripts() {
    for (String candidate : List.of("benchmarks/src/main/node", "src/main/node", "../benchmarks/src/main/node")) {
      Path p = Path.of(candidate).toAbsolutePath().normalize();
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    return Path.of("benchmarks/src/main/node");
  }

  private static String findNode() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, "node");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return Files.isExecutable(Path.of("/usr/bin/node")) ? "/usr/bin/node" : null;
  }

  static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir: best effort
    }
  }
}
