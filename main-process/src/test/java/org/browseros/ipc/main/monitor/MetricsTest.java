package org.browseros.ipc.main.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.browseros.ipc.main.monitor.ChannelMetrics.ChannelStats;
import org.browseros.ipc.main.monitor.ChannelMetrics.Figures;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;

  private final AtomicLong clock = new AtomicLong(5 * SECOND);
  private final Metrics metrics = new Metrics(clock::get, 60);

  private ChannelStats stats(String channel) {
    return metrics.snapshot().channels().stream().filter(c -> c.channel().equals(channel)).findFirst().orElseThrow();
  }

  @Test
  void shouldReportPercentilesOfKnownLatencies() {
    // 1..100 ms, one reply each.
    for (int i = 1; i <= 100; i++) {
      metrics.recordMessage("tab:create");
      metrics.recordReply("tab:create", i * MS, null);
    }
    clock.addAndGet(10 * SECOND);
    Figures window = stats("tab:create").window();
    assertEquals(100, window.messages());
    assertEquals(100, window.replies());
    assertEquals(50.0, window.p50Ms(), 0.1);
    assertEquals(90.0, window.p90Ms(), 0.1);
    assertEquals(99.0, window.p99Ms(), 0.1);
    assertEquals(100.0, window.maxMs(), 0.1);
    // 100 messages over the 10 s since the metrics started.
    assertEquals(10.0, window.perSecond(), 0.01);
    assertEquals(window.p99Ms(), stats("tab:create").sinceStart().p99Ms(), 0.001);
  }

  @Test
  void shouldCountErrorsByCode() {
    metrics.recordMessage("navigate");
    metrics.recordReply("navigate", 2 * MS, "NOT_FOUND");
    metrics.recordMessage("navigate");
    metrics.recordReply("navigate", 3 * MS, "NOT_FOUND");
    metrics.recordMessage("navigate");
    metrics.recordReply("navigate", -1, "VALIDATION");
    Figures window = stats("navigate").window();
    assertEquals(Map.of("NOT_FOUND", 2L, "VALIDATION", 1L), window.errors());
    // A reply whose request was not seen counts as an error but has no latency.
    assertEquals(2, window.replies());
  }

  @Test
  void shouldForgetWhatIsOlderThanTheWindowButKeepItSinceStart() {
    metrics.recordMessage("settings:get");
    metrics.recordReply("settings:get", 500 * MS, null);
    clock.addAndGet(61 * SECOND);
    metrics.recordMessage("settings:get");
    metrics.recordReply("settings:get", 1 * MS, null);
    ChannelStats stats = stats("settings:get");
    assertEquals(1, stats.window().messages());
    assertEquals(1.0, stats.window().maxMs(), 0.01);
    assertEquals(2, stats.sinceStart().messages());
    assertEquals(500.0, stats.sinceStart().maxMs(), 0.5);
    // The window is full: the rate is over 60 s.
    assertEquals(1 / 60.0, stats.window().perSecond(), 1e-6);
  }

  @Test
  void shouldSlideSecondBySecond() {
    for (int s = 0; s < 90; s++) {
      metrics.recordMessage("power:state");
      clock.addAndGet(SECOND);
    }
    // The last 60 one-second slots hold one message each (the current slot is empty).
    assertEquals(59, stats("power:state").window().messages());
    assertEquals(90, stats("power:state").sinceStart().messages());
  }

  @Test
  void shouldReportZeroLatencyWithoutReplies() {
    metrics.recordMessage("app:event");
    Figures window = stats("app:event").window();
    assertEquals(0, window.replies());
    assertEquals(0.0, window.p99Ms());
    assertTrue(window.errors().isEmpty());
  }
}
