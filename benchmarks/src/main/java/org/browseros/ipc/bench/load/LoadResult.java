package org.browseros.ipc.bench.load;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** The figures of one load run and its table. */
public final class LoadResult {
  final LoadRun.Options options;
  LoadRun.Machine machineBefore;
  LoadRun.Machine machineAfter;
  long startupMillis;
  double seconds;
  long eventsReceived;
  int kills;
  /** Per SIGKILL, sorted: ms until the renderer was connected again with a new process; -1: not within the run. */
  long[] comebackMillis = new long[0];
  int restarts;
  int givenUp;
  Ledgers ledgers;
  int lostLive = -1;
  List<String> lostLiveExamples = List.of();
  int unknownOutcomeAccepted;
  int lostAfterRestart = -1;
  List<String> lostAfterRestartExamples = List.of();
  long recoveryMillis;

  LoadResult(LoadRun.Options options) {
    this.options = options;
  }

  /** Acknowledged writes (window:create, tab:create, navigate, navigate:back, tab:update, settings:update) in the ledgers. */
  public long acknowledgedWrites() {
    return ledgers.acknowledgedWrites;
  }

  /** Acknowledged writes main's live state does not reflect (windows, tabs and settings keys found wrong). */
  public int lostLive() {
    return lostLive;
  }

  /** The same after main was restarted on the same data dir; -1 when not checked. */
  public int lostAfterRestart() {
    return lostAfterRestart;
  }

  public List<String> lostExamples() {
    return lostAfterRestartExamples.isEmpty() ? lostLiveExamples : lostAfterRestartExamples;
  }

  /** Calls answered with success. */
  public long invokes() {
    return ledgers.invokes();
  }

  /** Failed calls and refused sends, by error code. */
  public Map<String, Long> errorsByCode() {
    Map<String, Long> byCode = new TreeMap<>();
    ledgers.errors.values().forEach(m -> m.forEach((code, n) -> byCode.merge(code, n, Long::sum)));
    return byCode;
  }

  public long eventsSent() {
    return ledgers.eventsSent;
  }

  public long eventsReceived() {
    return eventsReceived;
  }

  /** Renderer processes that wrote a ledger, and how many of them reached the end of the run. */
  public int processes() {
    return ledgers.processes;
  }

  /** Renderer ids (renderer-1...) that wrote at least one ledger. */
  public java.util.Set<String> renderersThatRan() {
    return java.util.Set.copyOf(ledgers.renderers);
  }

  /** Renderer processes cut short (SIGKILL) whose ledger holds acknowledged writes: all of them were checked. */
  public int cutShortWithAcks() {
    return ledgers.cutShortWithAcks;
  }

  public int kills() {
    return kills;
  }

  public int restarts() {
    return restarts;
  }

  public int givenUp() {
    return givenUp;
  }

  public String render() {
    StringBuilder b = new StringBuilder();
    b.append(String.format("Load: %d renderer JVMs x %d sessions, %.0f s, mutual TLS, %s, %s%n",
        options.renderers(), options.sessions(), seconds,
        options.liftRateLimits() ? "rate limits lifted for the run" : "rate limits as shipped (shell: 500 msg/s, burst 1000)",
        options.killEvery().isZero() ? "no kills" : "SIGKILL of one renderer every " + options.killEvery().toMillis() / 1000.0 + " s"));
    b.append(String.format("Each call: one invoke, then %d one-way load:event sends; one call in flight per session.%n%n",
        options.eventsPerOp()));
    b.append("| operation | ok | ops/s | p50 ms | p99 ms | max ms | errors |\n");
    b.append("|---|---:|---:|---:|---:|---:|---|\n");
    Histogram all = new Histogram(3);
    all.setAutoResize(true);
    for (String op : LoadRenderer.MIX.keySet().stream().sorted().toList()) {
      Histogram h = ledgers.latencies.get(op);
      long ok = ledgers.ok.getOrDefault(op, 0L);
      if (h != null) {
        all.add(h);
      }
      b.append(row(op, ok, h, ledgers.errors.getOrDefault(op, Map.of())));
    }
    b.append(row("**all invokes**", ledgers.invokes(), all, errorsExcept(LoadRenderer.EVENT_OP)));
    b.append(String.format("| load:event sends | %d sent, %d counted by ipcMain.on | %.0f | | | | %s |%n",
        ledgers.eventsSent, eventsReceived, eventsReceived / seconds,
        codes(ledgers.errors.getOrDefault(LoadRenderer.EVENT_OP, Map.of()))));
    b.append('\n');
    b.append(String.format("- acknowledged writes in the ledgers: %d (%d windows, %d tabs, %d settings keys), "
        + "from %d renderer processes (%d ran to the end, %d cut short with acknowledged writes)%n",
        ledgers.acknowledgedWrites, ledgers.windows.size(), ledgers.tabs.size(), ledgers.settings.size(),
        ledgers.processes, ledgers.ended, ledgers.cutShortWithAcks));
    b.append(String.format("- **lost acknowledged writes, live state: %d**; writes of unknown outcome (renderer killed "
        + "or call failed before the answer) accepted either way: %d%n", lostLive, unknownOutcomeAccepted));
    if (lostAfterRestart >= 0) {
      b.append(String.format("- **lost acknowledged writes after restarting main on the same data dir: %d** "
          + "(restart until all present: %.1f s)%n", lostAfterRestart, recoveryMillis / 1000.0));
    }
    lostExamples().forEach(l -> b.append("  - lost: ").append(l).append('\n'));
    b.append(String.format("- errors by code: %s%n", errorsByCode().isEmpty() ? "none" : errorsByCode()));
    b.append(String.format("- renderer SIGKILLs: %d, supervisor relaunches: %d, given up: %d%n", kills, restarts, givenUp));
    if (comebackMillis.length > 0) {
      long[] back = java.util.Arrays.stream(comebackMillis).filter(v -> v >= 0).toArray();
      b.append(String.format("- SIGKILL until that renderer was connected again (new process): %s; median %s s, max %s s; "
              + "not back before the end of the run: %d%n",
          java.util.Arrays.toString(java.util.Arrays.stream(back).mapToObj(v -> String.format("%.1f", v / 1000.0)).toArray()),
          back.length == 0 ? "-" : String.format("%.1f", back[back.length / 2] / 1000.0),
          back.length == 0 ? "-" : String.format("%.1f", back[back.length - 1] / 1000.0),
          comebackMillis.length - back.length));
    }
    b.append(String.format("- main start until %d renderers connected: %.1f s%n", options.renderers(), startupMillis / 1000.0));
    b.append("- machine before: ").append(machineBefore).append('\n');
    b.append("- machine after: ").append(machineAfter).append('\n');
    return b.toString();
  }

  private Map<String, Long> errorsExcept(String op) {
    Map<String, Long> byCode = new TreeMap<>();
    ledgers.errors.forEach((o, m) -> {
      if (!o.equals(op)) {
        m.forEach((code, n) -> byCode.merge(code, n, Long::sum));
      }
    });
    return byCode;
  }

  private String row(String op, long ok, Histogram h, Map<String, Long> errors) {
    if (h == null || h.getTotalCount() == 0) {
      return String.format("| %s | %d | | | | | %s |%n", op, ok, codes(errors));
    }
    return String.format("| %s | %d | %.0f | %.2f | %.2f | %.1f | %s |%n", op, ok, ok / seconds,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6, codes(errors));
  }

  private static String codes(Map<String, Long> errors) {
    return errors.isEmpty() ? "0" : errors.toString();
  }
}
