package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/** The harness's results: rows as measured, rendered as one table with ratios to the baselines. */
public final class Report {
  /** Percentiles in microseconds, or {@code unsupported} with the reason. */
  public record Latency(String name, int bytes, double p50, double p90, double p99, double p999, long count, String unsupported,
      String load) {}

  /** The 1-minute load average when a row was recorded: other work on the machine skews figures. */
  public static String load() {
    return loadAverages().split(" ")[0];
  }

  /** The whole of /proc/loadavg (1, 5 and 15 minutes, tasks), or "unknown" off Linux. */
  public static String loadAverages() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** The median of some timings (-1 when there are none). */
  public static long median(List<Long> values) {
    if (values.isEmpty()) {
      return -1;
    }
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  public record Throughput(String name, long count, long nanos, String load) {
    double perSecond() {
      return count / (nanos / 1e9);
    }
  }

  public record Target(String name, String measured, boolean pass) {}

  private final List<Latency> latencies = new ArrayList<>();
  private final List<Throughput> throughputs = new ArrayList<>();
  private final Map<String, String> values = new LinkedHashMap<>();
  private final List<Target> targets = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  synchronized void latency(String name, int bytes, Histogram h) {
    add(name, bytes, percentiles(h));
  }

  /** p50, p90, p99, p99.9 (µs) and the count of one measured run; null for a run that failed. */
  static double[] percentiles(Histogram h) {
    return new double[] {h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getTotalCount()};
  }

  static double[] percentiles(JsonNode r) {
    if (r.has("error")) {
      return null;
    }
    return new double[] {r.get("p50").asDouble(), r.get("p90").asDouble(), r.get("p99").asDouble(),
        r.get("p999").asDouble(), r.get("count").asDouble()};
  }

  /** One row of several runs of the same path: each percentile the median of the runs' (a failed run makes it unsupported). */
  synchronized void latencyMedians(String name, int bytes, List<double[]> runs) {
    if (runs.stream().anyMatch(Objects::isNull)) {
      unsupported(name, bytes, "a run failed");
      return;
    }
    double[] m = new double[5];
    for (int i = 0; i < m.length; i++) {
      final int k = i;
      m[i] = runs.stream().mapToDouble(r -> r[k]).sorted().toArray()[runs.size() / 2];
    }
    add(name, bytes, m);
  }

  synchronized void latency(String name, int bytes, JsonNode r) {
    if (r.has("error")) {
      unsupported(name, bytes, r.get("error").asText());
      return;
    }
    add(name, bytes, percentiles(r));
  }

  /** A row from {@link #percentiles}' five figures. */
  private void add(String name, int bytes, double[] p) {
    add(new Latency(name, bytes, p[0], p[1], p[2], p[3], (long) p[4], null, load()));
  }

  synchronized void unsupported(String name, int bytes, String why) {
    add(new Latency(name, bytes, 0, 0, 0, 0, 0, why, load()));
  }

  private void add(Latency l) {
    latencies.add(l);
    System.err.println("[bench] " + l);
  }

  synchronized void throughput(String name, long count, long nanos) {
    Throughput t = new Throughput(name, count, nanos, load());
    throughputs.add(t);
    System.err.printf("[bench] %s: %.0f msgs/s%n", name, t.perSecond());
  }

  synchronized void value(String name, String value) {
    values.put(name, value);
    System.err.println("[bench] " + name + ": " + value);
  }

  synchronized void target(String name, String measured, boolean pass) {
    targets.add(new Target(name, measured, pass));
  }

  synchronized void note(String note) {
    notes.add(note);
    System.err.println("[bench] " + note);
  }

  public synchronized List<Latency> latencies() {
    return List.copyOf(latencies);
  }

  public synchronized List<Throughput> throughputs() {
    return List.copyOf(throughputs);
  }

  public synchronized List<Target> targets() {
    List<Target> all = new ArrayList<>(derivedTargets());
    all.addAll(targets);
    return all;
  }

  private Optional<Latency> find(String prefix, int bytes) {
    return latencies.stream().filter(l -> l.name().startsWith(prefix) && l.bytes() == bytes && l.unsupported() == null).findFirst();
  }

  private Optional<Throughput> findThroughput(String prefix) {
    return throughputs.stream().filter(t -> t.name().startsWith(prefix)).findFirst();
  }

  private List<Target> derivedTargets() {
    List<Target> t = new ArrayList<>();
    // Against Node, the alternated rows when Node's ping-pong is among them (measured right after one another).
    boolean nodeAlternated = find(Bench.NODE_ALTERNATED, 100).isPresent();
    String how = nodeAlternated ? ", alternated runs, medians" : "";
    Optional<Latency> ours = nodeAlternated ? find(Bench.ECHO_ALTERNATED, 100) : find("ours: invoke app echo", 100);
    Optional<Latency> chained = nodeAlternated ? find(Bench.CHAINED_ALTERNATED, 100) : find(Bench.ECHO_CHAINED, 100);
    Optional<Latency> node = nodeAlternated ? find(Bench.NODE_ALTERNATED, 100) : find("baseline: Node.js", 100);
    if (chained.isPresent() && node.isPresent()) {
      // Like for like: Node's ping-pong sends each next message from the previous one's callback.
      t.add(new Target("small invoke p50 ≤ 1.0x Node IPC (next invoke from the reply's callback, as Node's)",
          ratio(chained.get().p50(), node.get().p50()) + how, chained.get().p50() <= node.get().p50()));
      t.add(new Target("small invoke p99 ≤ 1.0x Node IPC (next invoke from the reply's callback, as Node's)",
          ratio(chained.get().p99(), node.get().p99()) + how, chained.get().p99() <= node.get().p99()));
    }
    if (ours.isPresent() && node.isPresent()) {
      t.add(new Target("small invoke p50 ≤ 1.0x Node IPC (caller blocked on get())", ratio(ours.get().p50(), node.get().p50()) + how,
          ours.get().p50() <= node.get().p50()));
      t.add(new Target("small invoke p99 ≤ 1.0x Node IPC (caller blocked on get())", ratio(ours.get().p99(), node.get().p99()) + how,
          ours.get().p99() <= node.get().p99()));
    }
    Optional<Latency> sync = nodeAlternated ? find(Bench.SYNC_ALTERNATED, 100) : find(Bench.ECHO_SYNC, 100);
    if (sync.isPresent() && node.isPresent()) {
      t.add(new Target("small invoke p50 ≤ 1.0x Node IPC (invokeSync, Electron's sendSync)", ratio(sync.get().p50(), node.get().p50()) + how,
          sync.get().p50() <= node.get().p50()));
      t.add(new Target("small invoke p99 ≤ 1.0x Node IPC (invokeSync, Electron's sendSync)", ratio(sync.get().p99(), node.get().p99()) + how,
          sync.get().p99() <= node.get().p99()));
    }
    Optional<Latency> oursHuge = find("ours: invoke app echo", 1024 * 1024);
    Optional<Latency> nodeHuge = find("baseline: Node.js", 1024 * 1024);
    if (oursHuge.isPresent() && nodeHuge.isPresent()) {
      t.add(new Target("1 MiB invoke p50 ≤ 1.0x Node", ratio(oursHuge.get().p50(), nodeHuge.get().p50()),
          oursHuge.get().p50() <= nodeHuge.get().p50()));
    } else if (!latencies.isEmpty()) {
      // (a --startup run measures no latency at all)
      t.add(new Target("1 MiB invoke p50 ≤ 1.0x Node", latencies.stream().filter(l -> l.name().startsWith("ours: invoke app echo") && l.bytes() == 1024 * 1024)
          .map(Latency::unsupported).findFirst().orElse("not measured"), false));
    }
    // The alternated pair when there is one (both measured right after one another), else the two rows.
    Optional<Throughput> oursEvents = findThroughput(Bench.EVENTS_ALTERNATED).or(() -> findThroughput("ours: send renderer→main"));
    Optional<Throughput> nodeEvents = findThroughput(Bench.NODE_FLOOD_ALTERNATED).or(() -> findThroughput("baseline: Node.js fork IPC one-way"));
    if (oursEvents.isPresent() && nodeEvents.isPresent()) {
      double r = oursEvents.get().perSecond() / nodeEvents.get().perSecond();
      boolean alternated = oursEvents.get().name().equals(Bench.EVENTS_ALTERNATED) && nodeEvents.get().name().equals(Bench.NODE_FLOOD_ALTERNATED);
      t.add(new Target("event throughput ≥ 1.5x Node one-way (1 renderer)",
          String.format("%.2fx%s", r, alternated ? " (alternated runs, medians)" : ""), r >= 1.5));
    }
    layersTarget(t, "our layers ≤ 15% over their transport: data plane vs the Unix socket floor (100 B p50)",
        Bench.ECHO_ALTERNATED, Bench.FLOOR_ALTERNATED, Bench.ECHO_DATA_PLANE, "floor: Java Unix domain socket");
    layersTarget(t, "our layers ≤ 15% over their transport: invokeSync vs the Unix socket floor waiting the same way (100 B p50)",
        Bench.SYNC_ALTERNATED, Bench.FLOOR_SPINNING_ALTERNATED, Bench.ECHO_SYNC, Bench.UDS_SPINNING);
    layersTarget(t, "our layers ≤ 15% over their transport: Artery path vs raw Artery (100 B p50)",
        Bench.ARTERY_ALTERNATED, Bench.RAW_ARTERY_ALTERNATED, Bench.ECHO_ARTERY, Bench.RAW_ARTERY);
    return t;
  }

  /**
   * A "≤ 15 % over the transport" target at 100 B p50: from the alternated pair when there is one
   * (both measured right after one another), with the rows of the separate phases beside it; else
   * from those rows.
   */
  private void layersTarget(List<Target> t, String name, String oursAlternated, String floorAlternated, String oursRow,
      String floorRow) {
    Optional<Latency> ours = find(oursAlternated, 100);
    Optional<Latency> floor = find(floorAlternated, 100);
    Optional<Latency> oursPhase = find(oursRow, 100);
    Optional<Latency> floorPhase = find(floorRow, 100);
    String phases = oursPhase.isPresent() && floorPhase.isPresent()
        ? String.format("%+.0f%%", (oursPhase.get().p50() / floorPhase.get().p50() - 1) * 100) : null;
    if (ours.isPresent() && floor.isPresent()) {
      double r = ours.get().p50() / floor.get().p50();
      t.add(new Target(name, String.format("%+.0f%% (%.1f vs %.1f µs, alternated runs, medians)%s", (r - 1) * 100,
          ours.get().p50(), floor.get().p50(), phases == null ? "" : "; separate phases " + phases), r <= 1.15));
    } else if (oursPhase.isPresent() && floorPhase.isPresent()) {
      t.add(new Target(name, phases, oursPhase.get().p50() / floorPhase.get().p50() <= 1.15));
    }
  }

  private static String ratio(double a, double b) {
    return String.format("%.1f vs %.1f µs = %.2fx", a, b, a / b);
  }

  /** The table, as committed in docs/PERFORMANCE.md. */
  public synchronized String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("Latency, sequential round trips (µs). Ratios of p50 / p99 to the baseline of the same size in this run.\n\n");
    sb.append("| path | payload | p50 | p90 | p99 | p99.9 | n | vs Node p50/p99 | vs raw Artery p50/p99 | vs UDS floor p50/p99 | load |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Latency l : latencies) {
      String size = l.bytes() == 0 ? "-" : l.bytes() >= 1024 ? (l.bytes() / 1024) + " KiB" : l.bytes() + " B";
      if (l.unsupported() != null) {
        sb.append(String.format("| %s | %s | %s | | | | | | | | %s |%n", l.name(), size, l.unsupported(), l.load()));
        continue;
      }
      sb.append(String.format("| %s | %s | %.0f | %.0f | %.0f | %.0f | %d | %s | %s | %s | %s |%n", l.name(), size,
          l.p50(), l.p90(), l.p99(), l.p999(), l.count(),
          rel(l, find("baseline: Node.js", l.bytes())), rel(l, find("raw Artery", l.bytes())),
          rel(l, find("floor: Java Unix domain socket", l.bytes())), l.load()));
    }
    sb.append("\nThroughput\n\n| path | messages | msgs/s | load |\n|---|---|---|---|\n");
    for (Throughput t : throughputs) {
      sb.append(String.format("| %s | %d | %,.0f | %s |%n", t.name(), t.count(), t.perSecond(), t.load()));
    }
    sb.append("\nOther measurements\n\n| what | value |\n|---|---|\n");
    values.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    sb.append("\nTargets of the issue\n\n| target | measured | result |\n|---|---|---|\n");
    for (Target t : targets()) {
      sb.append("| ").append(t.name()).append(" | ").append(t.measured()).append(" | ").append(t.pass() ? "PASS" : "FAIL").append(" |\n");
    }
    if (!notes.isEmpty()) {
      sb.append("\nNotes\n\n");
      notes.forEach(n -> sb.append("- ").append(n).append('\n'));
    }
    return sb.toString();
  }

  private static String rel(Latency l, Optional<Latency> base) {
    if (base.isEmpty() || base.get() == l || base.get().p50() == 0) {
      return "";
    }
    return String.format("%.2fx / %.2fx", l.p50() / base.get().p50(), l.p99() / base.get().p99());
  }
}
