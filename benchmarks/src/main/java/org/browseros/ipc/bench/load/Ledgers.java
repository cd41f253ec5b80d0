package org.browseros.ipc.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.HdrHistogram.Histogram;

/**
 * What the load renderers recorded, read back from their ledgers ({@code *.jsonl}, one per renderer
 * process, killed ones included): every acknowledged write with main's answer, the writes whose
 * outcome the renderer never learned, and the latency and error figures.
 */
final class Ledgers {
  /** The latency range of the renderers' histograms (longer ones are recorded as this): 10 minutes. */
  static final long MAX_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(10);

  /** A tab as main last acknowledged it. */
  record TabAck(String tabId, String windowId, String url, String title, boolean pinned, boolean muted,
      boolean back, boolean forward) {}

  /** A setting as main acknowledged it, with the settings version after the update. */
  record SettingAck(String key, JsonNode value, long version) {}

  /** Main's state as a console sees it: the synchronized state, and settings:get. */
  record View(Map<String, WindowInfo> windows, Map<String, TabInfo> tabs, SettingsView settings) {}

  /** One acknowledged write main does not reflect. */
  record Lost(String kind, String id, String why) {
    @Override
    public String toString() {
      return kind + " " + id + ": " + why;
    }
  }

  /** The outcome of comparing the ledgers with main's state. */
  record Check(List<Lost> lost, int unknownOutcomeAccepted) {}

  final Map<String, String> windows = new LinkedHashMap<>();
  final Map<String, TabAck> tabs = new LinkedHashMap<>();
  /** Per tab: writes sent after its last acknowledged one whose outcome is unknown (killed, timed out, refused). */
  final Map<String, List<JsonNode>> tabTries = new HashMap<>();
  final Map<String, SettingAck> settings = new TreeMap<>();
  /** Per setting key: values of updates never acknowledged (their outcome is unknown). */
  final Map<String, Set<JsonNode>> settingTries = new HashMap<>();
  final Map<String, Histogram> latencies = new TreeMap<>();
  final Map<String, Long> ok = new TreeMap<>();
  final Map<String, Map<String, Long>> errors = new TreeMap<>();
  long acknowledgedWrites;
  long eventsSent;
  int processes;
  int ended;
  /** Processes that did not reach the end of the run (killed) but whose ledger holds acknowledged writes. */
  int cutShortWithAcks;
  /** Renderer ids with at least one ledger. */
  final java.util.Set<String> renderers = new java.util.TreeSet<>();

  static Ledgers read(Path dir) throws IOException {
    Ledgers ledgers = new Ledgers();
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    }
    Map<String, JsonNode> settingPending = new HashMap<>();
    for (Path file : files) {
      ledgers.readFile(file, settingPending);
    }
    for (JsonNode tried : settingPending.values()) {
      ledgers.settingTries.computeIfAbsent(tried.get("key").asText(), k -> new HashSet<>()).add(tried.get("value"));
    }
    return ledgers;
  }

  private void readFile(Path file, Map<String, JsonNode> settingPending) throws IOException {
    processes++;
    String name = file.getFileName().toString();
    renderers.add(name.substring(0, name.lastIndexOf('-')));
    long acksBefore = acknowledgedWrites;
    int endedBefore = ended;
    for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      JsonNode line;
      try {
        line = PayloadCodec.parseJson(text);
      } catch (RuntimeException e) {
        continue; // the last line of a process killed mid-write
      }
      switch (line.path("k").asText()) {
        case "window" -> {
          windows.put(line.get("id").asText(), line.get("title").asText());
          acknowledgedWrites++;
        }
        case "try" -> {
          if (line.has("tab")) {
            tabTries.computeIfAbsent(line.get("tab").asText(), k -> new ArrayList<>()).add(line);
          } else {
            settingPending.put(line.get("w").asText(), line);
          }
        }
        case "ack" -> {
          acknowledgedWrites++;
          if (line.has("tab")) {
            String tabId = line.get("tab").asText();
            tabs.put(tabId, new TabAck(tabId, line.get("window").asText(), text(line, "url"), text(line, "title"),
                line.get("pinned").asBoolean(), line.get("muted").asBoolean(), line.get("back").asBoolean(),
                line.get("forward").asBoolean()));
            // One session writes a tab, one call at a time: earlier unanswered writes came before this one.
            tabTries.remove(tabId);
          } else {
            settingPending.remove(line.get("w").asText());
            SettingAck ack = new SettingAck(line.get("key").asText(), line.get("value"), line.get("version").asLong());
            settings.merge(ack.key(), ack, (a, b) -> a.version() >= b.version() ? a : b);
          }
        }
        case "stats" -> stats(line);
        case "end" -> ended++;
        default -> { }
      }
    }
    if (ended == endedBefore && acknowledgedWrites > acksBefore) {
      cutShortWithAcks++;
    }
  }

  /** An interval's latencies as a stats line carries them: compressed HdrHistogram, Base64. */
  static String encode(Histogram h) {
    ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int length = h.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }

  private void stats(JsonNode line) throws IOException {
    Iterator<Map.Entry<String, JsonNode>> ops = line.get("ops").fields();
    while (ops.hasNext()) {
      Map.Entry<String, JsonNode> op = ops.next();
      ok.merge(op.getKey(), op.getValue().get("ok").asLong(), Long::sum);
      Histogram h;
      try {
        h = Histogram.decodeFromCompressedByteBuffer(
            ByteBuffer.wrap(Base64.getDecoder().decode(op.getValue().get("h").asText())), MAX_LATENCY_NANOS);
      } catch (java.util.zip.DataFormatException e) {
        throw new IOException("a stats line with a broken histogram", e);
      }
      latencies.computeIfAbsent(op.getKey(), k -> {
        Histogram all = new Histogram(3);
        all.setAutoResize(true);
        return all;
      }).add(h);
    }
    Iterator<Map.Entry<String, JsonNode>> errs = line.get("errors").fields();
    while (errs.hasNext()) {
      Map.Entry<String, JsonNode> op = errs.next();
      Iterator<Map.Entry<String, JsonNode>> codes = op.getValue().fields();
      while (codes.hasNext()) {
        Map.Entry<String, JsonNode> code = codes.next();
        errors.computeIfAbsent(op.getKey(), k -> new TreeMap<>()).merge(code.getKey(), code.getValue().asLong(), Long::sum);
      }
    }
    eventsSent += line.get("events").asLong();
  }

  private static String text(JsonNode line, String field) {
    JsonNode v = line.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** Every acknowledged window, tab (url, title, flags, history) and setting, compared with main's state. */
  Check check(View view) {
    List<Lost> lost = new ArrayList<>();
    int unknown = 0;
    windows.forEach((id, title) -> {
      WindowInfo w = view.windows().get(id);
      if (w == null) {
        lost.add(new Lost("window", id, "missing"));
      } else if (!title.equals(w.title())) {
        lost.add(new Lost("window", id, "title " + w.title() + ", acknowledged " + title));
      }
    });
    for (TabAck ack : tabs.values()) {
      TabInfo t = view.tabs().get(ack.tabId());
      WindowInfo w = view.windows().get(ack.windowId());
      if (t == null) {
        lost.add(new Lost("tab", ack.tabId(), "missing"));
        continue;
      }
      if (w != null && !w.tabs().contains(ack.tabId())) {
        lost.add(new Lost("tab", ack.tabId(), "not in its window " + ack.windowId()));
        continue;
      }
      TabAck now = new TabAck(t.tabId(), t.windowId(), t.url(), t.title(), t.pinned(), t.muted(), t.canGoBack(),
          t.canGoForward());
      if (now.equals(ack)) {
        continue;
      }
      if (tabTries.getOrDefault(ack.tabId(), List.of()).stream().anyMatch(tried -> explains(tried, t))) {
        unknown++;
        continue;
      }
      lost.add(new Lost("tab", ack.tabId(), "is " + now + ", acknowledged " + ack));
    }
    SettingsView current = view.settings();
    for (SettingAck ack : settings.values()) {
      JsonNode value = current.settings().get(ack.key());
      if (current.version() < ack.version()) {
        lost.add(new Lost("setting", ack.key(), "settings version " + current.version() + " < acknowledged " + ack.version()));
      } else if (!ack.value().equals(value)) {
        if (value != null && settingTries.getOrDefault(ack.key(), Set.of()).contains(value)) {
          unknown++;
        } else {
          lost.add(new Lost("setting", ack.key(), "is " + value + ", last acknowledged " + ack.value() + " at version " + ack.version()));
        }
      }
    }
    return new Check(lost, unknown);
  }

  /** Whether an unanswered write to a tab explains the tab's state: it may have been applied. */
  private static boolean explains(JsonNode tried, TabInfo tab) {
    return switch (tried.get("op").asText()) {
      case "navigate" -> tried.get("url").asText().equals(tab.url());
      case "tab:update" -> tried.get("title").asText().equals(tab.title());
      case "navigate:back" -> true;
      default -> false;
    };
  }

  long errorCount(String code) {
    return errors.values().stream().mapToLong(m -> m.getOrDefault(code, 0L)).sum();
  }

  long errorCount() {
    return errors.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
  }

  long invokes() {
    return ok.values().stream().mapToLong(Long::longValue).sum();
  }
}
