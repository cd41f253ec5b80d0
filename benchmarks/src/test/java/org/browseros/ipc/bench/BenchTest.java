package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The harness runs end to end with tiny counts: every row is measured, nothing is hidden. */
class BenchTest {

  @Test
  @Timeout(240)
  void shouldMeasureEveryPathWithTinyCounts() throws Exception {
    Report report = Bench.run(Bench.Counts.smoke());

    for (String path : new String[] {Bench.ECHO_DATA_PLANE, Bench.ECHO_CHAINED, Bench.ECHO_SYNC, Bench.ECHO_ARTERY, Bench.ECHO_TLS}) {
      Report.Latency echo = report.latencies().stream()
          .filter(l -> l.name().equals(path) && l.bytes() == 100).findFirst().orElseThrow();
      assertNull(echo.unsupported(), "100 B echo through the full stack");
      assertTrue(echo.count() == 100 && echo.p50() > 0, "measured 100 round trips: " + echo);
    }
    assertTrue(report.latencies().stream().anyMatch(l -> l.name().startsWith("raw Artery") && l.unsupported() == null));
    assertTrue(report.latencies().stream().anyMatch(l -> l.name().startsWith("floor: Java Unix domain socket")));
    assertTrue(report.latencies().stream().anyMatch(l -> l.name().equals(Bench.UDS_SPINNING) && l.count() == 100));
    // The layer targets come from the floors and our rows alternated in one phase.
    for (String path : new String[] {Bench.FLOOR_ALTERNATED, Bench.ECHO_ALTERNATED, Bench.FLOOR_SPINNING_ALTERNATED, Bench.SYNC_ALTERNATED}) {
      assertTrue(report.latencies().stream().anyMatch(l -> l.name().equals(path) && l.bytes() == 100 && l.count() == 100), path);
    }
    for (String path : new String[] {Bench.NODE_ALTERNATED, Bench.CHAINED_ALTERNATED}) {
      assertTrue(report.latencies().stream().anyMatch(l -> l.name().equals(path) && l.count() == 100)
          || report.render().contains("alternated Node.js rows skipped"), path);
    }
    for (String path : new String[] {Bench.RAW_ARTERY_ALTERNATED, Bench.ARTERY_ALTERNATED}) {
      assertTrue(report.latencies().stream().anyMatch(l -> l.name().equals(path) && l.bytes() == 100 && l.count() == 40), path);
    }
    for (String layers : new String[] {"data plane vs the Unix socket floor", "invokeSync vs the Unix socket floor",
        "Artery path vs raw Artery"}) {
      assertTrue(report.targets().stream().anyMatch(t -> t.name().startsWith("our layers ≤ 15% over their transport: " + layers)
          && t.measured().contains("alternated runs, medians); separate phases")), layers + ": " + report.targets());
    }
    assertTrue(report.latencies().stream().anyMatch(l -> l.name().startsWith("ours: ipcMain.broadcast")));
    assertTrue(report.throughputs().stream().anyMatch(t -> t.name().startsWith("ours: send renderer→main") && t.name().endsWith("data plane") && t.count() == 512));
    assertTrue(report.throughputs().stream().anyMatch(t -> t.name().startsWith("ours: send renderer→main") && t.name().endsWith("(data plane off)") && t.count() == 512));
    assertTrue(report.throughputs().stream().anyMatch(t -> t.name().startsWith("ours: tab:create") && t.count() == 20));
    String table = report.render();
    // The tab row: main's CPU per tab, and which classes its heap grew by.
    assertTrue(table.contains("| ours: main's CPU per tab:create") && table.contains("live objects"), table);
    assertTrue(table.contains("| ours: each renderer's CPU per tab:create (applying the state deltas) | renderer-1 "), table);
    assertTrue(table.contains("tab heap by class (live objects after a full GC"), table);
    assertTrue(table.contains("local clients switched") && !table.contains("data plane: 0 envelopes came over the socket during the data-plane"), table);
    assertTrue(table.contains("| small invoke p50 ≤ 1.0x Node IPC (next invoke from the reply's callback, as Node's) |")
        || table.contains("Node.js baseline skipped"), table);
    assertTrue(table.contains("| small invoke p50 ≤ 1.0x Node IPC (caller blocked on get()) |")
        || table.contains("Node.js baseline skipped"), table);
    assertTrue(table.contains("| small invoke p99 ≤ 1.0x Node IPC (invokeSync, Electron's sendSync) |")
        || table.contains("Node.js baseline skipped"), table);
    assertTrue(table.contains("(alternated runs, medians)") || table.contains("alternated event rows skipped"), table);
    assertTrue(report.throughputs().stream().anyMatch(t -> t.name().equals(Bench.EVENTS_ALTERNATED) && t.count() == 512)
        || table.contains("alternated event rows skipped"), table);
    // Idle: the seconds right after the load are reported on their own, the target on the window after them,
    // and the spare renderer that application.conf turns on is counted with main and the renderers.
    assertTrue(table.contains("| ours: idle CPU, main + 2 renderers + the spare, first 3 s after the load ended"), table);
    assertTrue(table.contains("| ours: idle CPU, main + 2 renderers + the spare, 1 s from 3 s after the load ended, % of one core |"), table);
    assertTrue(report.targets().stream().anyMatch(t -> t.name().equals(
        "idle CPU main + 2 renderers < 1% of one core (the spare included, 1 s, after 3 s of settling)")), table);
    assertFalse(table.contains("failed:"), table);
  }
}
