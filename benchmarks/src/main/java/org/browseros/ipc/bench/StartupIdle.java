package org.browseros.ipc.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Start-up and idle CPU of the main process with its 2 renderers, several configurations side by
 * side in one run (docs/PERFORMANCE.md, "Idle CPU and start-up"). Each start runs
 * {@code scripts/main-process} exactly as a user does (build skipped), with the variant's JVM
 * options in {@code BROWSEROS_JAVA_OPTS} and its {@code env:NAME=VALUE} arguments in the
 * environment; the variants' runs are interleaved so that they share the machine's load.
 *
 * <pre>
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" org.browseros.ipc.bench.StartupIdle \
 *   [--runs 3] [--idle 10] [--settle 3] [--warmups 2] [--threads] \
 *   --variant before -Dconfig.file=benchmarks/tuning/idle-before.conf env:BROWSEROS_CDS=off \
 *   --variant after
 * </pre>
 *
 * A variant's {@code home:DIR} runs {@code DIR/scripts/main-process} instead of this checkout's: an
 * older build side by side with this one (e.g. {@code git archive} of a commit, built with
 * {@code mvn -o -q -DskipTests package} there).
 *
 * Per run: spawn → "Gateway up" (main.log), spawn → the ready line (stdout), renderer launch →
 * connected (main.log), then utime+stime of main and its renderers ({@code /proc/<pid>/stat}) and
 * their threads' context switches (wake-ups, {@code /proc/<pid>/task/*}/status) over the idle window, after a settle pause ({@code --settle} seconds after the ready line). {@code --threads} prints where each JVM's idle CPU went,
 * per thread name, from {@code /proc/<pid>/task/*}/stat. Every variant first does unmeasured
 * starts in its data dir (the first creates key material and the journal and records the CDS class
 * lists, the second builds the CDS archives in the background); the measured starts reuse that data dir, as a user's
 * later starts do.
 */
public final class StartupIdle {
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

  /** The main process running now: stopped (with its renderers) if the harness is interrupted. */
  private static volatile Process current;

  private record Variant(String name, List<String> jvmOptions) {}

  private record Run(long gatewayMs, long readyMs, List<Long> rendererMs, double mainPct, List<Double> rendererPct,
      double mainWakeups, List<Double> rendererWakeups, Map<String, Double> threads, Map<String, Double> threadWakeups,
      String load) {
    double totalPct() {
      return mainPct + rendererPct.stream().mapToDouble(Double::doubleValue).sum();
    }

    double totalWakeups() {
      return mainWakeups + rendererWakeups.stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  public static void main(String[] args) throws Exception {
    int runs = 3;
    int idleSeconds = 10;
    int settleSeconds = 3;
    boolean threads = false;
    int warmups = 2;
    List<Variant> variants = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--idle" -> idleSeconds = Integer.parseInt(args[++i]);
        case "--settle" -> settleSeconds = Integer.parseInt(args[++i]);
        case "--threads" -> threads = true;
        case "--warmups" -> warmups = Integer.parseInt(args[++i]);
        case "--variant" -> variants.add(new Variant(args[++i], new ArrayList<>()));
        default -> {
          if (variants.isEmpty()) {
            throw new IllegalArgumentException("JVM option before the first --variant: " + args[i]);
          }
          variants.get(variants.size() - 1).jvmOptions().add(args[i]);
        }
      }
    }
    if (variants.isEmpty()) {
      variants.add(new Variant("current", List.of()));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Process p = current;
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }));
    Path home = Path.of("").toAbsolutePath();
    Path script = home.resolve("scripts/main-process");
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("Run from the repository root: " + script + " not found");
    }
    Path work = Files.createTempDirectory("startup-idle");
    System.out.println("load average at start: " + Report.loadAverages() + "; data dirs under " + work);
    Map<Variant, List<Run>> results = new LinkedHashMap<>();
    for (Variant v : variants) {
      results.put(v, new ArrayList<>());
      for (int w = 0; w < warmups; w++) {
        Run first = runRetrying(script, v, work.resolve(v.name()), 0, 0, false);
        System.out.printf("%s: start %d (unmeasured) gateway %d ms, ready %d ms, renderers %s ms%n",
            v.name(), w + 1, first.gatewayMs(), first.readyMs(), first.rendererMs());
      }
    }
    for (Variant v : variants) {
      // A CDS archive is built in the background after the second start: measure with it in place.
      Path cds = work.resolve(v.name()).resolve("cds");
      for (int i = 0; i < 300 && Files.isDirectory(cds) && dumping(cds); i++) {
        Thread.sleep(1000);
      }
    }
    for (int r = 0; r < runs; r++) {
      for (Variant v : variants) {
        Run run = runRetrying(script, v, work.resolve(v.name()), idleSeconds, settleSeconds, threads);
        results.get(v).add(run);
        System.out.printf("%s run %d: gateway %d ms, ready %d ms, renderers %s ms, idle %.2f %% (main %.2f, renderers %s), "
                + "wake-ups/s %.0f (main %.0f, renderers %s), load %s%n",
            v.name(), r + 1, run.gatewayMs(), run.readyMs(), run.rendererMs(), run.totalPct(), run.mainPct(),
            run.rendererPct().stream().map(p -> String.format("%.2f", p)).toList(), run.totalWakeups(), run.mainWakeups(),
            run.rendererWakeups().stream().map(w -> String.format("%.0f", w)).toList(), run.load());
        if (threads) {
          printThreads(run.threads(), run.threadWakeups());
        }
      }
    }
    System.out.println();
    System.out.println("| variant | main spawn → gateway up, ms (median; runs) | spawn → ready line, ms (median) "
        + "| renderer launch → connected, ms (max; all) | idle CPU main + 2 renderers, % of one core (median; main / renderers) "
        + "| idle wake-ups/s main + 2 renderers (median; main / renderers) | load |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (Map.Entry<Variant, List<Run>> e : results.entrySet()) {
      List<Run> rs = e.getValue();
      List<Long> gw = rs.stream().map(Run::gatewayMs).toList();
      List<Long> ready = rs.stream().map(Run::readyMs).toList();
      List<Long> rend = rs.stream().flatMap(x -> x.rendererMs().stream()).toList();
      List<Double> idle = rs.stream().map(Run::totalPct).toList();
      Run mid = rs.stream().sorted(Comparator.comparingDouble(Run::totalPct)).toList().get(rs.size() / 2);
      Run midWake = rs.stream().sorted(Comparator.comparingDouble(Run::totalWakeups)).toList().get(rs.size() / 2);
      System.out.printf("| %s | %d %s | %d | %d %s | %.2f %s (%.2f / %s) | %.0f (%.0f / %s) | %s |%n", e.getKey().name(),
          Report.median(gw), gw, Report.median(ready), rend.stream().mapToLong(Long::longValue).max().orElse(-1), rend,
          mid.totalPct(), idle.stream().map(p -> String.format("%.2f", p)).toList(), mid.mainPct(),
          mid.rendererPct().stream().map(p -> String.format("%.2f", p)).collect(Collectors.joining(" + ")),
          midWake.totalWakeups(), midWake.mainWakeups(),
          midWake.rendererWakeups().stream().map(w -> String.format("%.0f", w)).collect(Collectors.joining(" + ")),
          rs.stream().map(Run::load).collect(Collectors.joining("; ")));
    }
    System.out.println("load average at end: " + Report.loadAverages());
  }

  /** A start that fails (e.g. main's journal connection timing out on a loaded machine) is reported and retried. */
  private static Run runRetrying(Path script, Variant v, Path dataDir, int idleSeconds, int settleSeconds, boolean threads)
      throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return run(script, v, dataDir, idleSeconds, settleSeconds, threads);
      } catch (IllegalStateException e) {
        if (attempt == 3) {
          throw e;
        }
        System.out.println("FAILED START, retrying: " + e.getMessage());
        Files.move(dataDir.resolve("stderr.log"), dataDir.resolve("stderr-failed-" + System.nanoTime() + ".log"));
      }
    }
  }

  private static Run run(Path script, Variant v, Path dataDir, int idleSeconds, int settleSeconds, boolean threads)
      throws Exception {
    Files.createDirectories(dataDir);
    Path mainLog = dataDir.resolve("logs/main.log");
    Files.deleteIfExists(mainLog);
    for (String option : v.jvmOptions()) {
      if (option.startsWith("home:")) {
        script = Path.of(option.substring(5)).toAbsolutePath().resolve("scripts/main-process");
      }
    }
    ProcessBuilder pb = new ProcessBuilder(script.toString(), "--data-dir", dataDir.toString(), "--renderers", "2",
        "--edge-port", "0", "--core-port", "0", "--inspector-port", "0");
    pb.environment().put("BROWSEROS_SKIP_BUILD", "1");
    List<String> jvm = new ArrayList<>();
    for (String option : v.jvmOptions()) {
      if (option.startsWith("env:")) {
        String[] kv = option.substring(4).split("=", 2);
        pb.environment().put(kv[0], kv[1]);
      } else if (!option.startsWith("home:")) {
        jvm.add(option);
      }
    }
    pb.environment().put("BROWSEROS_JAVA_OPTS", String.join(" ", jvm));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(dataDir.resolve("stderr.log").toFile()));
    String load = Report.load();
    LocalDateTime spawnedAt = LocalDateTime.now();
    long t0 = System.nanoTime();
    Process p = pb.start();
    current = p;
    long readyMs = -1;
    try {
      {
        // Not closed here: the drain thread below reads it until the process ends.
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
          if (line.contains("main process ready")) {
            readyMs = (System.nanoTime() - t0) / 1_000_000;
            break;
          }
        }
        // Keep draining stdout so main never blocks on a full pipe.
        Thread drain = new Thread(() -> {
          try {
            out.transferTo(java.io.Writer.nullWriter());
          } catch (IOException e) {
            // ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        if (readyMs < 0) {
          throw new IllegalStateException(v.name() + ": main exited before its ready line; see " + dataDir);
        }
        // CPU each JVM spent up to the ready line: the start's work, less sensitive to the load than its duration.
        List<String> startCpu = new ArrayList<>();
        startCpu.add("main " + ProcStat.cpuTicks(p.pid()) * 1000 / ProcStat.TICKS_PER_SECOND);
        p.toHandle().children().filter(c -> c.info().arguments()
                .map(a -> List.of(a).contains("org.browseros.ipc.renderer.RendererMain")).orElse(false))
            .forEach(c -> {
              try {
                startCpu.add("renderer " + ProcStat.cpuTicks(c.pid()) * 1000 / ProcStat.TICKS_PER_SECOND);
              } catch (IOException e) {
                // exited
              }
            });
        System.out.println("    CPU ms at the ready line: " + startCpu);
        double mainPct = 0;
        List<Double> rendererPct = new ArrayList<>();
        double mainWakeups = 0;
        List<Double> rendererWakeups = new ArrayList<>();
        Map<String, Double> threadPct = new TreeMap<>();
        Map<String, Double> threadWakeups = new TreeMap<>();
        if (idleSeconds > 0) {
          // Let start-up work (JIT, first heartbeats, cluster convergence) settle before sampling.
          Thread.sleep(settleSeconds * 1000L);
          List<Long> pids = new ArrayList<>();
          pids.add(p.pid());
          // The renderers only (not a background CDS dump, also a child of main).
          p.toHandle().children().filter(c -> c.info().arguments()
                  .map(a -> List.of(a).contains("org.browseros.ipc.renderer.RendererMain")).orElse(false))
              .forEach(c -> pids.add(c.pid()));
          Map<Long, Long> before = new LinkedHashMap<>();
          // One snapshot of each process's threads' context switches at each end of the window: the
          // process's wake-ups and (with --threads) the per-thread table both come from it.
          Map<Long, Map<String, Long>> switchesBefore = new LinkedHashMap<>();
          Map<String, Long> threadsBefore = new TreeMap<>();
          for (long pid : pids) {
            before.put(pid, ProcStat.cpuTicks(pid));
            switchesBefore.put(pid, threadSwitches(pid, role(p, pid)));
            if (threads) {
              threadsBefore.putAll(threadTicks(pid, role(p, pid)));
            }
          }
          long s0 = System.nanoTime();
          Thread.sleep(idleSeconds * 1000L);
          double seconds = (System.nanoTime() - s0) / 1e9;
          Map<Long, Map<String, Long>> switchesAfter = new LinkedHashMap<>();
          for (long pid : pids) {
            double pct = (ProcStat.cpuTicks(pid) - before.get(pid))
                / (double) ProcStat.TICKS_PER_SECOND / seconds * 100;
            switchesAfter.put(pid, threadSwitches(pid, role(p, pid)));
            double wakeups = switchesSince(switchesBefore.get(pid), switchesAfter.get(pid)) / seconds;
            if (pid == p.pid()) {
              mainPct = pct;
              mainWakeups = wakeups;
            } else {
              rendererPct.add(pct);
              rendererWakeups.add(wakeups);
            }
          }
          if (threads) {
            for (long pid : pids) {
              threadTicks(pid, role(p, pid)).forEach((key, ticks) -> {
                long delta = ticks - threadsBefore.getOrDefault(key, 0L);
                if (delta > 0) {
                  threadPct.merge(key.substring(0, key.lastIndexOf('|')), delta / (double) ProcStat.TICKS_PER_SECOND / seconds * 100,
                      Double::sum);
                }
              });
              Map<String, Long> threadSwitchesBefore = switchesBefore.get(pid);
              switchesAfter.get(pid).forEach((key, switches) -> {
                long delta = switches - threadSwitchesBefore.getOrDefault(key, 0L);
                if (delta > 0) {
                  threadWakeups.merge(key.substring(0, key.lastIndexOf('|')), delta / seconds, Double::sum);
                }
              });
            }
          }
        }
        Thread.sleep(500); // the async log appender flushes
        long gatewayMs = logOffset(mainLog, "Gateway up at", spawnedAt);
        List<Long> rendererMs = launchToConnected(mainLog);
        printPhases(dataDir.resolve("logs"), spawnedAt);
        return new Run(gatewayMs, readyMs, rendererMs, mainPct, rendererPct, mainWakeups, rendererWakeups, threadPct,
            threadWakeups, load);
      }
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String role(Process main, long pid) {
    return pid == main.pid() ? "main" : "renderer";
  }

  private static boolean dumping(Path cds) throws IOException {
    try (var files = Files.list(cds)) {
      return files.anyMatch(f -> f.getFileName().toString().contains(".dumping."));
    }
  }

  private static void printThreads(Map<String, Double> threads, Map<String, Double> wakeups) {
    System.out.println("    CPU, % of one core, per thread name:");
    threads.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(15)
        .forEach(e -> System.out.printf("    %6.2f %%  %s%n", e.getValue(), e.getKey()));
    System.out.println("    wake-ups (context switches) per second, per thread name:");
    wakeups.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(20)
        .forEach(e -> System.out.printf("    %6.1f /s  %s%n", e.getValue(), e.getKey()));
  }

  /** Per thread: "role: name with digits as #|tid" → voluntary + involuntary context switches. */
  private static Map<String, Long> threadSwitches(long pid, String role) throws IOException {
    Map<String, Long> switches = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = null;
          long n = 0;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("Name:")) {
              name = line.substring(5).trim().replaceAll("[0-9]+", "#");
            } else if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
              n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          if (name != null) {
            switches.put(role + ": " + name + "|" + task.getFileName(), n);
          }
        } catch (IOException e) {
          // the thread ended
        }
      }
    }
    return switches;
  }

  /**
   * Context switches of a process's threads between two {@link #threadSwitches} snapshots: each is a
   * thread going to sleep or being preempted, so idle, about one per wake-up. Less sensitive to the
   * machine's load than CPU time, which a busy machine inflates (cold caches, slower context
   * switches). Counted per thread: a sum over the process's threads went down (negative wake-ups in
   * the table) when threads that had switched a lot before the window ended in it, such as the
   * JIT's extra compiler threads; a thread that ends in the window loses its switches in it.
   */
  static long switchesSince(Map<String, Long> before, Map<String, Long> after) {
    long switches = 0;
    for (Map.Entry<String, Long> thread : after.entrySet()) {
      switches += thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
    }
    return switches;
  }

  /** Per thread: "role: name with digits as #|tid" → ticks. */
  private static Map<String, Long> threadTicks(long pid, String role) throws IOException {
    Map<String, Long> ticks = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = ProcStat.name(stat).replaceAll("[0-9]+", "#");
          ticks.put(role + ": " + name + "|" + task.getFileName(), ProcStat.ticks(stat));
        } catch (IOException e) {
          // the thread ended
        }
      }
    }
    return ticks;
  }

  static long logOffset(Path log, String marker, LocalDateTime spawnedAt) throws IOException {
    if (!Files.exists(log)) {
      return -1;
    }
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.contains(marker)) {
        return Duration.between(spawnedAt, parse(line)).toMillis();
      }
    }
    return -1;
  }

  /** The start-up phase lines main and the renderers logged in this run ("Start-up"), if their build logs them. */
  private static void printPhases(Path logs, LocalDateTime since) throws IOException {
    try (var files = Files.list(logs)) {
      for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          if (!line.contains("Start-up")) {
            continue;
          }
          try {
            if (!parse(line).isBefore(since)) {
              System.out.println("    " + line.substring(line.indexOf("Start-up")));
            }
          } catch (IllegalStateException e) {
            // not a log line of its own
          }
        }
      }
    }
  }

  static List<Long> launchToConnected(Path log) throws IOException {
    Map<String, LocalDateTime> launched = new LinkedHashMap<>();
    List<Long> ms = new ArrayList<>();
    if (!Files.exists(log)) {
      return ms;
    }
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      String l = between(line, "Launched renderer [", "]");
      if (l != null) {
        launched.putIfAbsent(l, parse(line));
      }
      String c = between(line, "Renderer [", "] connected");
      if (c != null && launched.containsKey(c)) {
        ms.add(Duration.between(launched.remove(c), parse(line)).toMillis());
      }
    }
    return ms;
  }

  private static String between(String line, String start, String end) {
    int i = line.indexOf(start);
    if (i < 0) {
      return null;
    }
    int j = line.indexOf(end, i + start.length());
    if (j < 0 || line.indexOf(']', i + start.length()) != j) {
      return null;
    }
    return line.substring(i + start.length(), j);
  }

  private static LocalDateTime parse(String line) {
    try {
      return LocalDateTime.parse(line.substring(0, 23), ISO);
    } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalStateException("Not a timestamped main.log line: " + line, e);
    }
  }
}
