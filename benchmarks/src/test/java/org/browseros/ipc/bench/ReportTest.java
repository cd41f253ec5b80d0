package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ReportTest {

  private static Histogram micros(long... values) {
    Histogram h = new Histogram(60_000_000_000L, 3);
    for (long v : values) {
      h.recordValue(v * 1000);
    }
    return h;
  }

  private static Report.Target target(Report report, String prefix) {
    return report.targets().stream().filter(t -> t.name().startsWith(prefix)).findFirst().orElseThrow();
  }

  @Test
  void shouldJudgeTheLayerTargetsOnTheAlternatedPairWhenThereIsOne() {
    Report report = new Report();
    // Separate phases at different loads: ours looks 30 % over the floor.
    report.latency("floor: Java Unix domain socket ping-pong", 100, micros(70));
    report.latency(Bench.UDS_SPINNING, 100, micros(25));
    report.latency(Bench.ECHO_DATA_PLANE, 100, micros(91));
    report.latency(Bench.ECHO_SYNC, 100, micros(50));
    // Right after one another: 10 % over; invokeSync still 60 % over.
    report.latency(Bench.FLOOR_ALTERNATED, 100, micros(80));
    report.latency(Bench.ECHO_ALTERNATED, 100, micros(88));
    report.latency(Bench.FLOOR_SPINNING_ALTERNATED, 100, micros(30));
    report.latency(Bench.SYNC_ALTERNATED, 100, micros(48));

    Report.Target dataPlane = target(report, "our layers ≤ 15% over their transport: data plane");
    assertTrue(dataPlane.pass(), dataPlane.toString());
    // (HdrHistogram reports the top of a value's bucket: 88.1 for 88 µs.)
    assertTrue(dataPlane.measured().matches("\\+10% \\(88\\.\\d vs 80\\.\\d µs, alternated runs, medians\\); separate phases \\+30%"),
        dataPlane.measured());
    Report.Target sync = target(report, "our layers ≤ 15% over their transport: invokeSync");
    assertFalse(sync.pass(), sync.toString());
    assertTrue(sync.measured().startsWith("+60%"), sync.measured());
  }

  @Test
  void shouldJudgeTheLayerTargetsOnThePhasesWithoutAnAlternatedPair() {
    Report report = new Report();
    report.latency("floor: Java Unix domain socket ping-pong", 100, micros(70));
    report.latency(Bench.ECHO_DATA_PLANE, 100, micros(91));

    Report.Target dataPlane = target(report, "our layers ≤ 15% over their transport: data plane");
    assertFalse(dataPlane.pass());
    assertEquals("+30%", dataPlane.measured());
  }

  @Test
  void shouldTakeEachPercentileAsTheMedianOfTheRuns() {
    Report report = new Report();
    report.latencyMedians("alternated row", 100, List.of(
        new double[] {50, 60, 900, 2000, 100}, new double[] {70, 80, 300, 1000, 100}, new double[] {60, 70, 400, 1500, 100}));
    Report.Latency row = report.latencies().get(0);
    assertEquals(60, row.p50());
    assertEquals(70, row.p90());
    assertEquals(400, row.p99());
    assertEquals(1500, row.p999());
    assertEquals(100, row.count());

    report.latencyMedians("failed row", 100, Arrays.asList(new double[] {50, 60, 900, 2000, 100}, null));
    assertEquals("a run failed", report.latencies().get(1).unsupported());
  }

  @Test
  void shouldJudgeTheNodeTargetsOnTheAlternatedRowsWhenNodeIsAmongThem() {
    Report report = new Report();
    // Separate phases: Node measured at a quieter moment, our p99 over it.
    report.latency("baseline: Node.js child_process.fork IPC", 100, micros(170, 170, 170, 300));
    report.latency(Bench.ECHO_CHAINED, 100, micros(80, 80, 80, 1100));
    // Alternated: ours under Node at p50 and p99.
    report.latencyMedians(Bench.NODE_ALTERNATED, 100, List.of(new double[] {180, 300, 900, 2000, 100}));
    report.latencyMedians(Bench.CHAINED_ALTERNATED, 100, List.of(new double[] {75, 110, 600, 1500, 100}));

    Report.Target p99 = target(report, "small invoke p99 ≤ 1.0x Node IPC (next invoke from the reply's callback");
    assertTrue(p99.pass(), p99.toString());
    assertEquals("600.0 vs 900.0 µs = 0.67x, alternated runs, medians", p99.measured());
  }
}
