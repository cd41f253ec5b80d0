package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RenderersQuery;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main killed with SIGKILL while its renderers run, then restarted on the same data dir and ports:
 * the renderers notice, reconnect with their resume tokens and are adopted (the same processes,
 * none relaunched), resync their state, and invokes issued meanwhile complete or fail with
 * CONNECTION, never twice and never past their timeout. Ctrl-C of the new main stops them all.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ReconnectEndToEndTest {
  @TempDir
  Path dir;

  private final List<ActorSystem<?>> systems = new ArrayList<>();
  private final List<Process> mains = new ArrayList<>();
  private final Set<Long> rendererPids = ConcurrentHashMap.newKeySet();

  @AfterEach
  void cleanUp() throws Exception {
    for (Process main : mains) {
      MainScript.kill(main);
    }
    // Adopted renderers are no descendants of the main that adopted them.
    for (long pid : rendererPids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (ActorSystem<?> system : systems) {
      MainFixture.terminate(system);
    }
  }

  @Test
  void shouldKeepTheSameRenderersAcrossSigkillAndRestartOfMain() throws Exception {
    Path data = dir.resolve("data");
    Map<String, String> env = javaOpts(config(""), null);
    int edgePort = MainScript.freePort();
    int corePort = MainScript.freePort();

    Process first = startMain(env, data, 2, edgePort, corePort);
    Map<String, Long> before = awaitConnected(console(data), 2);
    rendererPids.addAll(before.values());

    first.toHandle().destroyForcibly();
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    for (long pid : before.values()) {
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "renderer " + pid + " survives main");
    }

    Process second = startMain(env, data, 2, edgePort, corePort);
    IpcRenderer console = console(data);
    Map<String, Long> after = awaitConnected(console, 2);
    assertEquals(before, after, "the same renderer processes are connected again, none relaunched");
    for (RendererInfo info : list(console)) {
      if (info.rendererId().startsWith("renderer-")) {
        assertEquals(0, info.restarts(), info.rendererId() + " was adopted, not restarted");
      }
    }

    // Ctrl-C: the new main stops the renderers it adopted, although they are no children of it.
    new ProcessBuilder("kill", "-INT", "--", "-" + second.pid()).start().waitFor(10, TimeUnit.SECONDS);
    assertTrue(second.waitFor(60, TimeUnit.SECONDS), "main exits on SIGINT");
    for (long pid : before.values()) {
      ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
      assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "renderer " + pid + " stopped");
    }
  }

  @Test
  void shouldCompleteOrFailWithConnectionTheInvokesIssuedDuringTheOutage() throws Exception {
    Path data = dir.resolve("data");
    String classpath = MainFixture.rendererClasspath().orElseThrow()
        + File.pathSeparator + Path.of("target", "test-classes").toAbsolutePath();
    Map<String, String> env = javaOpts(
        config("browseros.renderers.main-class = \"" + TrafficRendererMain.class.getName() + "\""), classpath);
    int edgePort = MainScript.freePort();
    int corePort = MainScript.freePort();
    Path traffic = data.resolve("traffic");

    Process first = startMain(env, data, 1, edgePort, corePort);
    Map<String, Long> before = awaitConnected(console(data), 1);
    rendererPids.addAll(before.values());
    awaitOutcomes(traffic, line -> line.get("code").asText().equals("OK") && line.get("channel").asText().equals("tab:create"), 15);
    String firstMain = status(traffic).get("mainInstanceId").asText();

    long killedAt = System.currentTimeMillis();
    first.toHandle().destroyForcibly();
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    Process second = startMain(env, data, 1, edgePort, corePort);
    long restartedAt = System.currentTimeMillis();
    IpcRenderer console = console(data);
    assertEquals(before, awaitConnected(console, 1), "the same renderer process is back");
    awaitOutcomes(traffic, line -> line.get("code").asText().equals("OK") && line.get("issued").asLong() > restartedAt, 10);
    Files.writeString(traffic.resolve("stop"), "stop");
    awaitFile(traffic.resolve("done"), Duration.ofSeconds(120));

    List<JsonNode> outcomes = outcomes(traffic);
    long timeout = TrafficRendererMain.INVOKE_TIMEOUT.toMillis();
    for (JsonNode o : outcomes) {
      long took = o.get("ended").asLong() - o.get("issued").asLong();
      assertTrue(took <= timeout + 3000, "an invoke waited longer than its timeout: " + o);
    }
    // Idempotent reads all complete: re-sent after the reconnect when they were in flight.
    List<JsonNode> reads = outcomes.stream().filter(o -> o.get("channel").asText().equals("settings:get")).toList();
    assertEquals(List.of(), reads.stream().filter(o -> !o.get("code").asText().equals("OK")).toList(),
        "settings:get that did not complete");
    assertTrue(reads.stream().anyMatch(o -> o.get("issued").asLong() > killedAt + 100 && o.get("issued").asLong() < restartedAt),
        "some reads were issued while main was down, and completed");
    // Writes complete or fail with CONNECTION (outcome unknown: main restarted while in flight).
    List<JsonNode> writes = outcomes.stream().filter(o -> o.get("channel").asText().equals("tab:create")).toList();
    Map<String, List<JsonNode>> byCode = writes.stream().collect(Collectors.groupingBy(o -> o.get("code").asText()));
    assertEquals(Set.of(), new java.util.TreeSet<>(byCode.keySet()).stream()
        .filter(c -> !c.equals("OK") && !c.equals("CONNECTION")).collect(Collectors.toSet()), "codes " + byCode.keySet());
    assertTrue(writes.stream().anyMatch(o -> o.get("code").asText().equals("OK")
            && o.get("issued").asLong() > killedAt + 100 && o.get("issued").asLong() < restartedAt),
        "some writes were issued while main was down, and completed after the reconnect");

    // Effects: every acknowledged write is there once; no write ran twice.
    String windowId = status(traffic).get("windowId").asText();
    Map<String, TabInfo> tabs = MainFixture.awaitState(() -> {
      Map<String, TabInfo> all = console.state().tabs();
      return writes.stream().filter(o -> o.get("code").asText().equals("OK"))
          .allMatch(o -> all.containsKey(o.get("tabId").asText())) ? Boolean.TRUE : Boolean.FALSE;
    }, Boolean.TRUE) ? console.state().tabs() : Map.of();
    Map<String, Long> perUrl = tabs.values().stream().filter(t -> t.windowId().equals(windowId))
        .collect(Collectors.groupingBy(TabInfo::url, TreeMap::new, Collectors.counting()));
    assertEquals(Map.of(), perUrl.entrySet().stream().filter(e -> e.getValue() > 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "tabs created more than once");
    for (JsonNode o : writes) {
      if (o.get("code").asText().equals("OK")) {
        assertEquals(o.get("url").asText(), tabs.get(o.get("tabId").asText()).url());
      }
    }

    // The replica resynced from the restarted main: the same version as a fresh console's.
    JsonNode status = status(traffic);
    assertNotEquals(firstMain, status.get("mainInstanceId").asText(), "welcomed by the restarted main");
    long version = console.state().version();
    assertEquals(version, (long) MainFixture.awaitState(() -> status(traffic).get("stateVersion").asLong(), version));

    new ProcessBuilder("kill", "-INT", "--", "-" + second.pid()).start().waitFor(10, TimeUnit.SECONDS);
    assertTrue(second.waitFor(60, TimeUnit.SECONDS), "main exits on SIGINT");
    for (long pid : before.values()) {
      ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** The repository's deployment config, with a reconnect window longer than a restart on a loaded machine. */
  private Path config(String extra) throws Exception {
    Path file = dir.resolve("test.conf");
    Files.writeString(file, String.join("\n",
        "include file(\"" + MainScript.REPO.resolve("application.conf") + "\")",
        "browseros.renderer.reconnect.give-up-after = 150s",
        "browseros.renderers.adopt-timeout = 60s",
        // A restarted main recovers its profile while the queued invokes arrive at once.
        "browseros.domain.ask-timeout = 30s",
        // TrafficRendererMain reads its identity from the environment only: it cannot be a spare.
        "browseros.renderers.spare.enabled = off",
        extra, ""));
    return file;
  }

  private static Map<String, String> javaOpts(Path config, String rendererClasspath) {
    String opts = "-Dconfig.file=" + config;
    if (rendererClasspath != null) {
      opts += " -Dbrowseros.renderers.classpath=" + rendererClasspath;
    }
    return Map.of("BROWSEROS_JAVA_OPTS", opts);
  }

  private Process startMain(Map<String, String> env, Path data, int renderers, int edgePort, int corePort)
      throws Exception {
    Process main = MainScript.start(env, "--data-dir", data.toString(), "--renderers", String.valueOf(renderers),
        "--inspector-port", "0", "--edge-port", String.valueOf(edgePort), "--core-port", String.valueOf(corePort)).process();
    mains.add(main);
    main.descendants().forEach(p -> rendererPids.add(p.pid()));
    return main;
  }

  private IpcRenderer console(Path data) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "console", MainFixture.clientConfig(data));
    systems.add(system);
    JsonNode credential = PayloadCodec.parseJson(Files.readString(data.resolve("devtools.credential")));
    IpcRenderer client = IpcRenderer.connect(system,
            ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText())
                .withInvokeTimeout(Duration.ofSeconds(10)))
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    client.state().ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return client;
  }

  private static List<RendererInfo> list(IpcRenderer console) throws Exception {
    return console.invoke(Channels.RENDERERS_LIST, new RenderersQuery()).toCompletableFuture()
        .get(15, TimeUnit.SECONDS).renderers();
  }

  /** Renderer id to pid once {@code count} launched renderers are connected (bounded: 90 s). */
  private Map<String, Long> awaitConnected(IpcRenderer console, int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    List<RendererInfo> last = List.of();
    while (System.nanoTime() < deadline) {
      last = list(console).stream().filter(r -> r.rendererId().startsWith("renderer-")).toList();
      last.forEach(r -> {
        if (r.pid() != null) {
          rendererPids.add(r.pid());
        }
      });
      if (last.size() == count && last.stream().allMatch(r -> r.status().equals("connected"))) {
        Map<String, Long> pids = new HashMap<>();
        last.forEach(r -> pids.put(r.rendererId(), r.pid()));
        return pids;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("renderers not all connected: " + last);
  }

  private static List<JsonNode> outcomes(Path traffic) throws Exception {
    Path file = traffic.resolve("outcomes.jsonl");
    if (!Files.exists(file)) {
      return List.of();
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.endsWith("}")) {
        lines.add(PayloadCodec.parseJson(line));
      }
    }
    return lines;
  }

  private static void awaitOutcomes(Path traffic, java.util.function.Predicate<JsonNode> which, int count)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (outcomes(traffic).stream().filter(which).count() >= count) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("fewer than " + count + " such outcomes: " + outcomes(traffic).size() + " in all");
  }

  private static JsonNode status(Path traffic) throws Exception {
    return PayloadCodec.parseJson(Files.readString(traffic.resolve("status.json")));
  }

  private static void awaitFile(Path file, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(Files.exists(file), file + " never appeared");
  }
}
