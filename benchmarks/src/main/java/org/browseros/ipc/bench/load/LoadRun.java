package org.browseros.ipc.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.main.MainNode;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.TransportSecurity;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;

/**
 * The load run (scripts/load): this JVM is the main process, whose supervisor launches
 * {@code renderers} {@link LoadRenderer} JVMs over mutual TLS; they run the mixed workload for a
 * fixed time (optionally while one of them is SIGKILLed every {@code killEvery}); then every
 * acknowledged write in their ledgers is compared with main's state, live and again after main
 * was restarted on the same data dir (journal recovery). Prints one table.
 *
 * <pre>scripts/load [--duration 30s] [--renderers 8] [--sessions 4] [--kill-every 3s] [--no-rate-limit] [--keep DIR]</pre>
 */
public final class LoadRun {

  /**
   * @param killEvery SIGKILL one renderer (round robin) this often during the run; zero: never
   * @param liftRateLimits true: the per-renderer rate limits are raised out of the way for the run
   * @param dataDir where main's data and the ledgers go; null: a temp dir, deleted afterwards
   */
  public record Options(Duration duration, int renderers, int sessions, int eventsPerOp, int tabsPerWindow,
      Duration killEvery, boolean liftRateLimits, boolean restartCheck, Path dataDir) {

    public static Options defaults() {
      return new Options(Duration.ofSeconds(30), 8, 4, 2, 10, Duration.ZERO, false, true, null);
    }

    public Options withDuration(Duration d) {
      return new Options(d, renderers, sessions, eventsPerOp, tabsPerWindow, killEvery, liftRateLimits, restartCheck, dataDir);
    }

    public Options withRenderers(int n) {
      return new Options(duration, n, sessions, eventsPerOp, tabsPerWindow, killEvery, liftRateLimits, restartCheck, dataDir);
    }

    public Options withKillEvery(Duration d) {
      return new Options(duration, renderers, sessions, eventsPerOp, tabsPerWindow, d, liftRateLimits, restartCheck, dataDir);
    }

    Options withSessions(int n) {
      return new Options(duration, renderers, n, eventsPerOp, tabsPerWindow, killEvery, liftRateLimits, restartCheck, dataDir);
    }

    Options withLiftRateLimits(boolean lift) {
      return new Options(duration, renderers, sessions, eventsPerOp, tabsPerWindow, killEvery, lift, restartCheck, dataDir);
    }

    Options withDataDir(Path dir) {
      return new Options(duration, renderers, sessions, eventsPerOp, tabsPerWindow, killEvery, liftRateLimits, restartCheck, dir);
    }
  }

  private static final Duration SETTLE = Duration.ofSeconds(30);
  private static final Duration RECOVERY = Duration.ofSeconds(120);

  private final Options options;
  private final Path work;
  private final Path reportDir;
  private final AtomicReference<LoadChannels.Plan> plan = new AtomicReference<>();
  private final Map<String, LongAdder> eventsReceived = new ConcurrentHashMap<>();
  private final Map<String, Long> done = new ConcurrentHashMap<>();
  /** The pid that last asked for the plan, per renderer: that process is connected and waiting for the clock. */
  private final Map<String, Long> waiting = new ConcurrentHashMap<>();
  private final AtomicInteger kills = new AtomicInteger();
  /** Per SIGKILL: milliseconds until that renderer was connected again with a new process; -1 while it is not. */
  private final List<long[]> comebacks = java.util.Collections.synchronizedList(new ArrayList<>());

  private LoadRun(Options options, Path work) {
    this.options = options;
    this.work = work;
    this.reportDir = work.resolve("ledgers");
    plan.set(new LoadChannels.Plan(false, 0, reportDir.toString(), options.sessions(), options.eventsPerOp(),
        options.tabsPerWindow()));
  }

  public static void main(String[] args) throws Exception {
    Options options = parse(args);
    LoadResult result = run(options);
    System.out.println(result.render());
    System.exit(result.lostLive() == 0 && result.lostAfterRestart() <= 0 ? 0 : 1);
  }

  static Options parse(String[] args) {
    Options o = Options.defaults();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--duration" -> o = o.withDuration(duration(args[++i]));
        case "--renderers" -> o = o.withRenderers(Integer.parseInt(args[++i]));
        case "--sessions" -> o = o.withSessions(Integer.parseInt(args[++i]));
        case "--kill-every" -> o = o.withKillEvery(duration(args[++i]));
        case "--no-rate-limit" -> o = o.withLiftRateLimits(true);
        case "--keep" -> o = o.withDataDir(Path.of(args[++i]).toAbsolutePath());
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (--duration 30s, --renderers 8, --sessions 4, --kill-every 3s, --no-rate-limit, --keep DIR)");
      }
    }
    return o;
  }

  private static Duration duration(String text) {
    String t = text.trim();
    if (t.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
    }
    return Duration.ofSeconds(Long.parseLong(t.endsWith("s") ? t.substring(0, t.length() - 1) : t));
  }

  /** Runs the load and both checks; the temp data dir (if any) is deleted afterwards. */
  public static LoadResult run(Options options) throws Exception {
    Path work = options.dataDir() != null ? Files.createDirectories(options.dataDir())
        : Files.createTempDirectory("browseros-load");
    try {
      return new LoadRun(options, work).execute();
    } finally {
      if (options.dataDir() == null) {
        deleteQuietly(work);
      }
    }
  }

  private LoadResult execute() throws Exception {
    LoadResult result = new LoadResult(options);
    result.machineBefore = Machine.describe();
    Files.createDirectories(reportDir);
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    ipcMain.handle(LoadChannels.PLAN, (event, query) -> {
      waiting.put(event.rendererId(), query.pid());
      return plan.get();
    });
    ipcMain.on(LoadChannels.EVENT, (event, e) ->
        eventsReceived.computeIfAbsent(event.rendererId(), k -> new LongAdder()).increment());
    ipcMain.on(LoadChannels.DONE, (event, d) -> done.put(event.rendererId(), d.pid()));

    long t0 = System.nanoTime();
    MainNode main = MainNode.start(MainConfig.load(mainConfig(options.renderers())), ipcMain);
    try {
      awaitReady(main);
      result.startupMillis = (System.nanoTime() - t0) / 1_000_000;
      long start = System.currentTimeMillis();
      long until = start + options.duration().toMillis();
      plan.set(new LoadChannels.Plan(true, until, reportDir.toString(), options.sessions(), options.eventsPerOp(),
          options.tabsPerWindow()));
      Thread chaos = null;
      if (!options.killEvery().isZero()) {
        chaos = new Thread(() -> chaos(main, until), "load-chaos");
        chaos.setDaemon(true);
        chaos.start();
      }
      sleepUntil(until);
      if (chaos != null) {
        chaos.join(10_000);
      }
      awaitDone(main, until);
      result.seconds = (until - start) / 1000.0;
      result.eventsReceived = eventsReceived.values().stream().mapToLong(LongAdder::sum).sum();
      List<RendererInfo> renderers = main.renderers().renderers().stream().filter(r -> r.pid() != null
          || r.status().equals("given-up") || r.status().equals("crashed")).toList();
      result.kills = kills.get();
      result.comebackMillis = comebacks.stream().mapToLong(c -> c[1]).sorted().toArray();
      result.restarts = renderers.stream().mapToInt(RendererInfo::restarts).sum();
      result.givenUp = (int) renderers.stream().filter(r -> r.status().equals("given-up")).count();
      result.ledgers = Ledgers.read(reportDir);
      Ledgers.Check live = checkUntilSettled(main, result.ledgers, SETTLE);
      result.lostLive = live.lost().size();
      result.lostLiveExamples = live.lost().stream().limit(5).map(Object::toString).toList();
      result.unknownOutcomeAccepted = live.unknownOutcomeAccepted();
    } finally {
      main.close();
    }
    if (options.restartCheck()) {
      long r0 = System.nanoTime();
      try (MainNode restarted = MainNode.start(MainConfig.load(mainConfig(0)), new IpcMain(Duration.ofSeconds(5)))) {
        Ledgers.Check after = checkUntilSettled(restarted, result.ledgers, RECOVERY);
        result.recoveryMillis = (System.nanoTime() - r0) / 1_000_000;
        result.lostAfterRestart = after.lost().size();
        result.lostAfterRestartExamples = after.lost().stream().limit(5).map(Object::toString).toList();
      }
    }
    result.machineAfter = Machine.describe();
    return result;
  }

  private Map<String, Object> mainConfig(int renderers) throws IOException {
    Map<String, Object> o = new HashMap<>();
    o.put("browseros.data-dir", work.resolve("main").toString());
    o.put("browseros.renderers.count", renderers);
    o.put("browseros.renderers.capabilities", List.of("shell"));
    o.put("browseros.renderers.main-class", LoadRenderer.class.getName());
    o.put("browseros.renderers.classpath", classpath());
    o.put("browseros.edge.pekko.remote.artery.canonical.port", 0);
    o.put("browseros.core.pekko.remote.artery.canonical.port", 0);
    o.put("browseros.inspector.enabled", false);
    if (options.liftRateLimits()) {
      o.put("browseros.security.capabilities.shell.rate-limit.per-second", 100_000_000);
      o.put("browseros.security.capabilities.shell.rate-limit.burst", 100_000_000);
    }
    return o;
  }

  /** This module's classes and dependencies (the test classpath would do too, but carries surefire's jar). */
  private static String classpath() throws IOException {
    for (String candidate : List.of("target", "benchmarks/target")) {
      Path target = Path.of(candidate).toAbsolutePath();
      if (Files.isRegularFile(target.resolve("classpath.txt")) && Files.isDirectory(target.resolve("classes"))) {
        return target.resolve("classes") + File.pathSeparator + Files.readString(target.resolve("classpath.txt")).strip();
      }
    }
    return System.getProperty("java.class.path");
  }

  /**
   * Until every launched renderer's current process has asked for the plan (bounded): on a busy
   * machine a renderer may miss heartbeats while its JVM warms up and be relaunched.
   */
  private void awaitReady(MainNode main) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (System.nanoTime() < deadline) {
      List<RendererInfo> list = main.renderers().renderers().stream()
          .filter(r -> r.rendererId().startsWith("renderer-")).toList();
      if (list.size() == options.renderers() && list.stream().allMatch(r ->
          "connected".equals(r.status()) && r.pid() != null && r.pid().equals(waiting.get(r.rendererId())))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the load renderers did not all connect and ask for the plan: " + main.renderers());
  }

  /** SIGKILLs the next connected renderer, round robin, every killEvery until shortly before the end. */
  private void chaos(MainNode main, long until) {
    long every = options.killEvery().toMillis();
    int next = 0;
    Map<String, long[]> pending = new HashMap<>();
    long lastKill = 0;
    try {
      while (System.currentTimeMillis() + every < until) {
        Thread.sleep(200);
        List<RendererInfo> list = main.renderers().renderers();
        for (RendererInfo r : list) {
          long[] killed = pending.get(r.rendererId());
          if (killed != null && "connected".equals(r.status()) && r.pid() != null && r.pid() != killed[0]) {
            killed[1] = System.currentTimeMillis() - killed[2];
            pending.remove(r.rendererId());
          }
        }
        if (System.currentTimeMillis() - lastKill < every) {
          continue;
        }
        lastKill = System.currentTimeMillis();
        String id = "renderer-" + (next++ % options.renderers() + 1);
        for (RendererInfo r : list) {
          if (r.rendererId().equals(id) && r.pid() != null && "connected".equals(r.status())) {
            ProcessHandle.of(r.pid()).ifPresent(p -> {
              if (p.destroyForcibly()) {
                kills.incrementAndGet();
                long[] comeback = {r.pid(), -1, System.currentTimeMillis()};
                comebacks.add(comeback);
                pending.put(id, comeback);
              }
            });
          }
        }
      }
      // Until the end of the run, renderers killed last may still come back.
      while (System.currentTimeMillis() < until && !pending.isEmpty()) {
        Thread.sleep(200);
        for (RendererInfo r : main.renderers().renderers()) {
          long[] killed = pending.get(r.rendererId());
          if (killed != null && "connected".equals(r.status()) && r.pid() != null && r.pid() != killed[0]) {
            killed[1] = System.currentTimeMillis() - killed[2];
            pending.remove(r.rendererId());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      System.err.println("load chaos stopped: " + e);
    }
  }

  /** Every renderer that was not given up has said it is done (bounded). */
  private void awaitDone(MainNode main, long until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      long pending = main.renderers().renderers().stream()
          .filter(r -> r.rendererId().startsWith("renderer-") && !r.status().equals("given-up"))
          .filter(r -> !done.containsKey(r.rendererId())).count();
      if (pending == 0) {
        return;
      }
      Thread.sleep(200);
    }
    System.err.println("load: not every renderer reported done: " + done.keySet());
  }

  /** Compares the ledgers with main's state until nothing is missing or {@code bound} passed (tabs recover lazily). */
  private static Ledgers.Check checkUntilSettled(MainNode main, Ledgers ledgers, Duration bound) throws Exception {
    Path dataDir = main.dataDir();
    JsonNode credential = PayloadCodec.parseJson(Files.readString(dataDir.resolve("devtools.credential")));
    Path tls = dataDir.resolve(TransportSecurity.DIRECTORY);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "load-check",
        Files.isDirectory(tls) ? RendererConfig.withTls(RendererConfig.load(), tls) : RendererConfig.load());
    try {
      IpcRenderer console = IpcRenderer.connect(system,
              ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText())
                  .withInvokeTimeout(Duration.ofSeconds(20)))
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
      console.state().ready().toCompletableFuture().get(60, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + bound.toNanos();
      Ledgers.Check check;
      do {
        SettingsView settings = console.invoke(Channels.SETTINGS_GET, new SettingsGet(null))
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
        check = ledgers.check(new Ledgers.View(console.state().windows(), console.state().tabs(), settings));
        if (check.lost().isEmpty()) {
          break;
        }
        Thread.sleep(500);
      } while (System.nanoTime() < deadline);
      console.close();
      return check;
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // The check above is complete; a checking console slow to stop is reported, not taken for lost writes.
        System.err.println("load: the checking console's actor system did not terminate within 30 s");
      }
    }
  }

  private static void sleepUntil(long epochMillis) throws InterruptedException {
    long left;
    while ((left = epochMillis - System.currentTimeMillis()) > 0) {
      Thread.sleep(Math.min(left, 500));
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir: best effort
    }
  }

  /** The machine the figures come from: other work on it skews them. */
  record Machine(int cpus, String memory, String loadAverage) {
    static Machine describe() {
      String mem = "unknown";
      try {
        long total = 0;
        long available = 0;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
          if (line.startsWith("MemTotal:")) {
            total = Long.parseLong(line.replaceAll("\\D", ""));
          } else if (line.startsWith("MemAvailable:")) {
            available = Long.parseLong(line.replaceAll("\\D", ""));
          }
        }
        mem = String.format("%.1f GiB total, %.1f GiB available", total / 1048576.0, available / 1048576.0);
      } catch (IOException | RuntimeException e) {
        // not Linux
      }
      return new Machine(Runtime.getRuntime().availableProcessors(), mem, org.browseros.ipc.bench.Report.loadAverages());
    }

    @Override
    public String toString() {
      return cpus + " cpus (nproc), memory " + memory + ", load average " + loadAverage;
    }
  }
}
