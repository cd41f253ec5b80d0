package org.browseros.ipc.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger check finds an acknowledged write main does not reflect, and accepts writes of unknown outcome. */
class LedgersTest {
  @TempDir
  Path dir;

  private static final String LEDGER = String.join("\n",
      "{\"k\":\"window\",\"w\":\"r/1/1\",\"id\":\"w1\",\"title\":\"load a\"}",
      "{\"k\":\"ack\",\"w\":\"r/1/2\",\"op\":\"tab:create\",\"tab\":\"t1\",\"window\":\"w1\",\"url\":\"https://load.test/1\","
          + "\"title\":null,\"pinned\":false,\"muted\":false,\"back\":false,\"forward\":false}",
      "{\"k\":\"try\",\"w\":\"r/1/3\",\"op\":\"navigate\",\"tab\":\"t1\",\"url\":\"https://load.test/2\"}",
      "{\"k\":\"ack\",\"w\":\"r/1/3\",\"op\":\"navigate\",\"tab\":\"t1\",\"window\":\"w1\",\"url\":\"https://load.test/2\","
          + "\"title\":null,\"pinned\":false,\"muted\":false,\"back\":true,\"forward\":false}",
      "{\"k\":\"try\",\"w\":\"r/1/4\",\"op\":\"settings:update\",\"key\":\"homepage\",\"value\":\"https://load.test/h1\"}",
      "{\"k\":\"ack\",\"w\":\"r/1/4\",\"op\":\"settings:update\",\"key\":\"homepage\",\"version\":7,\"value\":\"https://load.test/h1\"}",
      // killed before the answer: either outcome is fine
      "{\"k\":\"try\",\"w\":\"r/1/5\",\"op\":\"navigate\",\"tab\":\"t1\",\"url\":\"https://load.test/3\"}",
      "{\"k\":\"tr");

  private Ledgers ledgers() throws Exception {
    Files.writeString(dir.resolve("renderer-1-1.jsonl"), LEDGER);
    return Ledgers.read(dir);
  }

  private static Ledgers.View view(String url, boolean back, String homepage, long version) {
    WindowInfo w = new WindowInfo("w1", "load a", Bounds.DEFAULT, WindowState.NORMAL, false, List.of("t1"));
    TabInfo t = new TabInfo("t1", "w1", url, null, back, false, false, false, true);
    return new Ledgers.View(Map.of("w1", w), Map.of("t1", t),
        new SettingsView(Map.of("homepage", TextNode.valueOf(homepage)), version));
  }

  @Test
  void shouldFindNothingLostWhenMainHasEveryAcknowledgedWrite() throws Exception {
    Ledgers ledgers = ledgers();
    assertEquals(4, ledgers.acknowledgedWrites);
    assertEquals(List.of(), ledgers.check(view("https://load.test/2", true, "https://load.test/h1", 7)).lost());
    Ledgers.Check unknown = ledgers.check(view("https://load.test/3", true, "https://load.test/h1", 9));
    assertEquals(List.of(), unknown.lost());
    assertEquals(1, unknown.unknownOutcomeAccepted());
  }

  @Test
  void shouldReadLatenciesUpToTheRangeTheRenderersRecord() throws Exception {
    // As LoadRenderer records and writes them: two intervals, one with a latency near the range's top.
    Recorder recorder = new Recorder(Ledgers.MAX_LATENCY_NANOS, 3);
    recorder.recordValue(TimeUnit.MILLISECONDS.toNanos(1));
    String first = Ledgers.encode(recorder.getIntervalHistogram());
    recorder.recordValue(TimeUnit.MINUTES.toNanos(9));
    recorder.recordValue(TimeUnit.MILLISECONDS.toNanos(250));
    String second = Ledgers.encode(recorder.getIntervalHistogram());
    Files.writeString(dir.resolve("renderer-1-1.jsonl"), String.join("\n",
        "{\"k\":\"stats\",\"ops\":{\"navigate\":{\"ok\":1,\"h\":\"" + first + "\"}},\"errors\":{},\"events\":0}",
        "{\"k\":\"stats\",\"ops\":{\"navigate\":{\"ok\":2,\"h\":\"" + second + "\"}},\"errors\":{},\"events\":0}"));
    Histogram navigate = Ledgers.read(dir).latencies.get("navigate");
    assertEquals(3, navigate.getTotalCount());
    assertTrue(navigate.getMaxValue() >= TimeUnit.MINUTES.toNanos(9), String.valueOf(navigate.getMaxValue()));
  }

  @Test
  void shouldReportAnAcknowledgedNavigationOrSettingThatIsGone() throws Exception {
    Ledgers ledgers = ledgers();
    Ledgers.Check check = ledgers.check(view("https://load.test/1", false, "about:blank", 6));
    assertEquals(2, check.lost().size(), check.lost().toString());
    assertTrue(check.lost().get(0).toString().startsWith("tab t1"), check.lost().toString());
    assertTrue(check.lost().get(1).toString().contains("settings version 6 < acknowledged 7"), check.lost().toString());
    Ledgers.Check missing = ledgers.check(new Ledgers.View(Map.of(), Map.of(), new SettingsView(Map.of(), 7)));
    assertEquals(3, missing.lost().size(), missing.lost().toString());
  }
}
