package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void shouldPickTheMedianRun() {
    assertEquals(Integer.valueOf(5), Bench.medianBy(List.of(9, 5, 1), Integer::doubleValue));
    assertEquals(Integer.valueOf(7), Bench.medianBy(List.of(7, 3, 8, 1), Integer::doubleValue));
  }
}
