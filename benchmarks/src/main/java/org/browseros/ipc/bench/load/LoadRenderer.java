package org.browseros.ipc.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;
import org.browseros.ipc.renderer.RendererMain;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A renderer JVM that main's supervisor launches in place of {@link RendererMain} for a load run
 * ({@code browseros.renderers.main-class}). It connects with its launch secret like RendererMain,
 * asks main for the {@link LoadChannels.Plan}, then runs {@code sessions} concurrent sessions until
 * the plan's deadline, each with its own windows and tabs and one call at a time, mixing
 * window:create, tab:create, navigate, navigate:back, tab:update, settings:update and settings:get,
 * plus one-way {@link LoadChannels#EVENT} sends after each call.
 *
 * <p>Every write is written to the process's ledger ({@code <reportDir>/<rendererId>-<pid>.jsonl})
 * before it is sent ({@code try}) and again with main's reply once acknowledged ({@code ack}), each
 * line flushed to the OS at once: a SIGKILL loses no recorded line, and a write whose outcome the
 * renderer never learned is known as such. Latencies and error counts go to the ledger once a second.
 * After the deadline the renderer sends {@link LoadChannels#DONE} and idles until main stops it (an
 * exit would count as a crash and be relaunched).
 */
public final class LoadRenderer {
  /** The operations of the mix, with their weights. */
  static final Map<String, Integer> MIX = mix();
  static final String EVENT_OP = "event";
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private final IpcRenderer ipc;
  private final LoadChannels.Plan plan;
  private final String tag;
  private final Ledger ledger;
  private final Map<String, Recorder> latencies = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> okCounts = new ConcurrentHashMap<>();
  private final Map<String, Map<ErrorCode, LongAdder>> errors = new ConcurrentHashMap<>();
  private final LongAdder eventsSent = new LongAdder();
  private final AtomicLong writeSeq = new AtomicLong();
  private final AtomicLong eventSeq = new AtomicLong();

  private LoadRenderer(IpcRenderer ipc, LoadChannels.Plan plan, long pid) throws IOException {
    this.ipc = ipc;
    this.plan = plan;
    this.tag = ipc.rendererId() + "/" + pid;
    this.ledger = new Ledger(Path.of(plan.reportDir()).resolve(ipc.rendererId() + "-" + pid + ".jsonl"));
    for (String op : MIX.keySet()) {
      // A fixed range, not an auto-resizing one: an interval histogram that had grown while it was
      // recorded into was once encoded with counts beyond the range in its header, and the ledger's
      // reader failed to decode it (ArrayIndexOutOfBoundsException in HdrHistogram).
      latencies.put(op, new Recorder(Ledgers.MAX_LATENCY_NANOS, 3));
      okCounts.put(op, new LongAdder());
    }
    // A refused one-way send comes back as an error envelope, not as a failed call.
    ipc.onError(error -> {
      if (LoadChannels.EVENT.name().equals(error.channel())) {
        error(EVENT_OP, error.code());
      }
    });
  }

  private static Map<String, Integer> mix() {
    Map<String, Integer> mix = new LinkedHashMap<>();
    mix.put("navigate", 30);
    mix.put("tab:update", 18);
    mix.put("settings:get", 15);
    mix.put("tab:create", 12);
    mix.put("settings:update", 10);
    mix.put("navigate:back", 7);
    mix.put("window:create", 3);
    return Map.copyOf(mix);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    String rendererId = env.get(RendererMain.ENV_RENDERER_ID);
    String secret = env.get(RendererMain.ENV_SECRET);
    String gateway = env.get(RendererMain.ENV_GATEWAY);
    if (rendererId == null || secret == null || gateway == null) {
      System.err.println("load renderer: launched without " + RendererMain.ENV_RENDERER_ID + " and friends");
      System.exit(64);
    }
    long pid = ProcessHandle.current().pid();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "renderer", RendererConfig.load());
    // Eight JVMs starting at once on a small machine: a generous handshake, or they crash-loop.
    ConnectOptions options = ConnectOptions.of(system, gateway, rendererId, secret).withInvokeTimeout(CALL_TIMEOUT)
        .withHandshakeTimeout(Duration.ofSeconds(60));
    IpcRenderer ipc;
    try {
      ipc = IpcRenderer.connect(system, options).toCompletableFuture()
          .get(options.handshakeTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      System.err.println("load renderer " + rendererId + ": cannot connect: " + IpcException.errorOf(e).message());
      exit(system, 2);
      return;
    }
    // As RendererMain: never outlive main, say goodbye on SIGTERM.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "renderer-goodbye",
        () -> ipc.closeAsync().thenApply(done -> Done.getInstance()));
    ipc.onDisconnect(() -> exit(system, 3));
    parent(env).ifPresent(parent -> parent.onExit().thenRun(() -> exit(system, 0)));

    LoadChannels.Plan plan = awaitPlan(ipc, pid);
    if (System.currentTimeMillis() < plan.untilEpochMillis()) {
      new LoadRenderer(ipc, plan, pid).run();
    }
    ipc.send(LoadChannels.DONE, new LoadChannels.Done(pid));
    System.out.println("load renderer " + rendererId + " done (pid " + pid + ")");
  }

  private static Optional<ProcessHandle> parent(Map<String, String> env) {
    String value = env.get(RendererMain.ENV_PARENT_PID);
    try {
      return value == null ? ProcessHandle.current().parent() : ProcessHandle.of(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return ProcessHandle.current().parent();
    }
  }

  /** Asks main for the plan every 100 ms until the runner has started the clock (bounded: 10 minutes). */
  private static LoadChannels.Plan awaitPlan(IpcRenderer ipc, long pid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        LoadChannels.Plan plan = ipc.invoke(LoadChannels.PLAN, new LoadChannels.PlanQuery(pid))
            .toCompletableFuture().get(CALL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        if (plan.started()) {
          return plan;
        }
      } catch (Exception e) {
        System.err.println("load:plan failed, asking again: " + IpcException.errorOf(e).message());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the load run never started");
  }

  private void run() throws Exception {
    Thread stats = new Thread(this::statsLoop, "load-stats");
    stats.setDaemon(true);
    stats.start();
    List<Thread> sessions = new ArrayList<>();
    for (int i = 0; i < plan.sessions(); i++) {
      int n = i;
      Thread t = new Thread(() -> new Session(n).run(), "load-session-" + i);
      t.start();
      sessions.add(t);
    }
    for (Thread t : sessions) {
      t.join();
    }
    stats.interrupt();
    stats.join(5000);
    writeStats();
    ledger.write(json().put("k", "end"));
    ledger.close();
  }

  private void statsLoop() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(1000);
        writeStats();
      }
    } catch (InterruptedException e) {
      // the run ended
    }
  }

  /** The interval since the last stats line: latencies (HdrHistogram, compressed), ok and error counts, events. */
  private synchronized void writeStats() {
    ObjectNode line = json().put("k", "stats");
    ObjectNode ops = line.putObject("ops");
    for (String op : MIX.keySet()) {
      Histogram h = latencies.get(op).getIntervalHistogram();
      ObjectNode o = ops.putObject(op);
      o.put("ok", okCounts.get(op).sumThenReset());
      o.put("h", Ledgers.encode(h));
    }
    ObjectNode errs = line.putObject("errors");
    errors.forEach((op, byCode) -> byCode.forEach((code, count) -> {
      long c = count.sumThenReset();
      if (c > 0) {
        errs.with(op).put(code.name(), c);
      }
    }));
    line.put("events", eventsSent.sumThenReset());
    ledger.write(line);
  }

  private void error(String op, ErrorCode code) {
    errors.computeIfAbsent(op, k -> new ConcurrentHashMap<>()).computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  private static ObjectNode json() {
    return PayloadCodec.json().createObjectNode();
  }

  /** One window at a time, its tabs, one call in flight. */
  private final class Session {
    private final int number;
    private final List<String> tabs = new ArrayList<>();
    /** Tabs whose last acknowledged state can go back: navigate:back elsewhere would be a CONFLICT. */
    private final java.util.Set<String> canGoBack = new java.util.HashSet<>();
    private String windowId;
    private int tabsInWindow;
    private int seq;

    Session(int number) {
      this.number = number;
    }

    void run() {
      while (System.currentTimeMillis() < plan.untilEpochMillis()) {
        String op = windowId == null ? "window:create" : tabs.isEmpty() ? "tab:create" : pick();
        if (op.equals("tab:create") && tabsInWindow >= plan.tabsPerWindow()) {
          op = "window:create";
        }
        if (op.equals("navigate:back") && canGoBack.isEmpty()) {
          op = "navigate";
        }
        call(op);
        for (int i = 0; i < plan.eventsPerOp(); i++) {
          ipc.send(LoadChannels.EVENT, new LoadChannels.LoadEvent(eventSeq.incrementAndGet()));
          eventsSent.increment();
        }
      }
    }

    private String pick() {
      int total = MIX.values().stream().mapToInt(Integer::intValue).sum();
      int r = ThreadLocalRandom.current().nextInt(total);
      for (String op : List.of("navigate", "tab:update", "settings:get", "tab:create", "settings:update",
          "navigate:back", "window:create")) {
        r -= MIX.get(op);
        if (r < 0) {
          return op;
        }
      }
      return "navigate";
    }

    private String tab() {
      return tabs.get(ThreadLocalRandom.current().nextInt(tabs.size()));
    }

    private void call(String op) {
      String w = tag + "/" + writeSeq.incrementAndGet();
      String unique = tag.replace('/', '-') + "-s" + number + "-" + (++seq);
      long t0 = System.nanoTime();
      try {
        switch (op) {
          case "window:create" -> {
            String title = "load " + unique;
            WindowInfo window = invoke(Channels.WINDOW_CREATE, new WindowCreate(title, null));
            windowId = window.windowId();
            tabsInWindow = 0;
            ledger.write(json().put("k", "window").put("w", w).put("id", window.windowId()).put("title", title));
          }
          case "tab:create" -> {
            String url = "https://load.test/" + unique;
            TabInfo tab = invoke(Channels.TAB_CREATE, new TabCreate(windowId, url, false));
            tabs.add(tab.tabId());
            tabsInWindow++;
            ack(w, op, tab, "url", url);
          }
          case "navigate" -> {
            String tabId = tab();
            String url = "https://load.test/" + unique;
            ledger.write(json().put("k", "try").put("w", w).put("op", op).put("tab", tabId).put("url", url));
            ack(w, op, invoke(Channels.NAVIGATE, new Navigate(tabId, url)), "url", url);
          }
          case "navigate:back" -> {
            String tabId = List.copyOf(canGoBack).get(ThreadLocalRandom.current().nextInt(canGoBack.size()));
            ledger.write(json().put("k", "try").put("w", w).put("op", op).put("tab", tabId));
            ack(w, op, invoke(Channels.NAVIGATE_BACK, new NavigateBack(tabId)), null, null);
          }
          case "tab:update" -> {
            String tabId = tab();
            String title = "T " + unique;
            ledger.write(json().put("k", "try").put("w", w).put("op", op).put("tab", tabId).put("title", title));
            ack(w, op, invoke(Channels.TAB_UPDATE, new TabUpdate(tabId, title, ThreadLocalRandom.current().nextBoolean(),
                ThreadLocalRandom.current().nextBoolean(), null)), "title", title);
          }
          case "settings:update" -> {
            boolean homepage = ThreadLocalRandom.current().nextInt(4) != 0;
            String key = homepage ? "homepage" : "zoom";
            JsonNode value = homepage ? TextNode.valueOf("https://load.test/home/" + unique)
                : IntNode.valueOf(25 + ThreadLocalRandom.current().nextInt(476));
            ledger.write(json().put("k", "try").put("w", w).put("op", op).put("key", key).set("value", value));
            Setting s = invoke(Channels.SETTINGS_UPDATE, new SettingsUpdate(key, value));
            if (!s.key().equals(key) || !s.value().equals(value)) {
              throw new IpcException(ErrorCode.INTERNAL, "settings:update answered " + s + " for " + key + "=" + value);
            }
            ledger.write(json().put("k", "ack").put("w", w).put("op", op).put("key", key).put("version", s.version())
                .set("value", value));
          }
          case "settings:get" -> invoke(Channels.SETTINGS_GET, new SettingsGet(null));
          default -> throw new IllegalArgumentException(op);
        }
        latencies.get(op).recordValue(Math.min(System.nanoTime() - t0, Ledgers.MAX_LATENCY_NANOS));
        okCounts.get(op).increment();
      } catch (Exception e) {
        error(op, IpcException.errorOf(e).code());
        if (op.equals("window:create") && windowId == null) {
          pause();
        }
      }
    }

    /** Records main's acknowledgement of a tab write: the tab as main answered it. */
    private void ack(String w, String op, TabInfo tab, String field, String sent) {
      String answered = "url".equals(field) ? tab.url() : "title".equals(field) ? tab.title() : sent;
      if (sent != null && !sent.equals(answered)) {
        throw new IpcException(ErrorCode.INTERNAL, op + " answered " + tab + ", expected " + field + "=" + sent);
      }
      if (tab.canGoBack()) {
        canGoBack.add(tab.tabId());
      } else {
        canGoBack.remove(tab.tabId());
      }
      ledger.write(json().put("k", "ack").put("w", w).put("op", op).put("tab", tab.tabId()).put("window", tab.windowId())
          .put("url", tab.url()).put("title", tab.title()).put("pinned", tab.pinned()).put("muted", tab.muted())
          .put("back", tab.canGoBack()).put("forward", tab.canGoForward()));
    }

    private void pause() {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private <P, R> R invoke(Channel<P, R> channel, P payload) throws Exception {
    CompletableFuture<R> f = ipc.invoke(channel, payload).toCompletableFuture();
    return f.get(CALL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
  }

  /** Append-only JSON lines, each flushed to the OS before the call it records is sent. */
  private static final class Ledger {
    private final BufferedWriter out;

    Ledger(Path file) throws IOException {
      Files.createDirectories(file.getParent());
      this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }

    synchronized void write(ObjectNode line) {
      try {
        out.write(line.toString());
        out.newLine();
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    synchronized void close() throws IOException {
      out.close();
    }
  }

  /** Exits on a fresh thread, after the actor system (bounded), as RendererMain does. */
  private static void exit(ActorSystem<?> system, int status) {
    Thread t = new Thread(() -> {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exit anyway
      }
      System.exit(status);
    }, "renderer-exit");
    t.start();
  }
}
