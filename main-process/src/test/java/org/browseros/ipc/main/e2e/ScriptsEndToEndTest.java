package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainScript.freePort;
import static org.browseros.ipc.main.e2e.MainScript.script;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.protocol.PayloadCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's way in: {@code scripts/main-process} as an OS process, driven with {@code scripts/ipc},
 * and stopped with Ctrl-C (SIGINT), which must take its renderers down with it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ScriptsEndToEndTest {
  @TempDir
  static Path dataDir;

  Process main;
  String windowId;
  String tabId;
  List<String> mainOutput;

  record Result(int exit, String stdout, String stderr) {
    JsonNode json() {
      return PayloadCodec.parseJson(stdout.strip());
    }
  }

  @BeforeAll
  void startMainProcess() throws Exception {
    MainScript started = MainScript.start("--data-dir", dataDir.toString(), "--renderers", "1",
        "--edge-port", String.valueOf(freePort()), "--core-port", String.valueOf(freePort()),
        "--inspector-port", "0");
    main = started.process();
    mainOutput = started.output();
    String line = started.readyLine();
    assertTrue(line.contains("1 renderer(s) connected"), line);
    inspectorLine = waitForLine(l -> l.startsWith("Inspector: "));
  }

  String inspectorLine;

  private String waitForLine(java.util.function.Predicate<String> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (String l : mainOutput) {
        if (match.test(l)) {
          return l;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("No such line in " + mainOutput);
  }

  @AfterAll
  void stopMainProcess() throws Exception {
    if (main != null && main.isAlive()) {
      MainScript.kill(main);
    }
  }

  private Result ipc(String stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
    all.addAll(List.of(args));
    Process process = script("ipc", all.toArray(String[]::new)).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("scripts/ipc " + String.join(" ", args) + " did not finish");
    }
    return new Result(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  @Order(1)
  void shouldInvokeChannelsAndPrintOneJsonLine() throws Exception {
    Result window = ipc(null, "invoke", "window:create", "{\"title\":\"From the console\"}");
    assertEquals(0, window.exit(), window.stderr());
    assertEquals("From the console", window.json().get("title").asText());
    windowId = window.json().get("windowId").asText();

    Result tab = ipc(null, "invoke", "tab:create", "{\"windowId\":\"" + windowId + "\",\"url\":\"https://example.org/\"}");
    assertEquals(0, tab.exit(), tab.stderr());
    assertEquals("https://example.org/", tab.json().get("url").asText());
    tabId = tab.json().get("tabId").asText();

    Result power = ipc(null, "invoke", "power:state");
    assertEquals(0, power.exit(), power.stderr());
    assertNotNull(power.json().get("source"));
  }

  @Test
  @Order(2)
  void shouldPrintTypedErrorsAndExitWithOne() throws Exception {
    Result missing = ipc(null, "invoke", "tab:update", "{\"tabId\":\"t404\",\"title\":\"x\"}");
    assertEquals(1, missing.exit());
    assertEquals("NOT_FOUND", missing.json().get("error").get("code").asText());

    Result invalid = ipc(null, "invoke", "settings:update", "{\"key\":\"theme\",\"value\":\"purple\"}");
    assertEquals(1, invalid.exit());
    assertEquals("VALIDATION", invalid.json().get("error").get("code").asText());

    Result unknownField = ipc(null, "invoke", "window:create", "{\"title\":\"x\",\"admin\":true}");
    assertEquals(1, unknownField.exit());
    assertEquals("VALIDATION", unknownField.json().get("error").get("code").asText());
  }

  @Test
  @Order(3)
  void shouldShowStateAndRenderers() throws Exception {
    Result state = ipc(null, "state");
    assertEquals(0, state.exit(), state.stderr());
    JsonNode json = state.json();
    assertTrue(json.get("version").asLong() > 0);
    assertTrue(json.get("state").has("settings/theme"), state.stdout());

    Result renderers = ipc(null, "renderers");
    assertEquals(0, renderers.exit(), renderers.stderr());
    assertTrue(renderers.stdout().contains("\"renderer-1\""), renderers.stdout());
    assertTrue(renderers.stdout().contains("\"connected\""), renderers.stdout());
  }

  @Test
  @Order(5)
  void shouldAnswerOneJsonLinePerCommandInJsonConsole() throws Exception {
    String commands = String.join("\n",
        "{\"op\":\"invoke\",\"channel\":\"settings:update\",\"payload\":{\"key\":\"zoom\",\"value\":125}}",
        "{\"op\":\"invoke\",\"channel\":\"settings:get\",\"payload\":{\"key\":\"zoom\"}}",
        "{\"op\":\"invoke\",\"channel\":\"navigate\",\"payload\":{\"tabId\":\"t404\",\"url\":\"https://example.org\"}}") + "\n";
    Result console = ipc(commands, "console", "--json");
    assertEquals(0, console.exit(), console.stderr());
    List<String> lines = console.stdout().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(3, lines.size(), console.stdout());
    assertEquals(125, PayloadCodec.parseJson(lines.get(0)).get("result").get("value").asInt());
    assertEquals(125, PayloadCodec.parseJson(lines.get(1)).get("result").get("settings").get("zoom").asInt());
    assertEquals("NOT_FOUND", PayloadCodec.parseJson(lines.get(2)).get("error").get("code").asText());
  }

  @Test
  @Order(4)
  void shouldServeEveryBuiltInChannelThroughTheConsole() throws Exception {
    String w = windowId;
    String t = tabId;
    List<String> commands = List.of(
        "{\"op\":\"invoke\",\"channel\":\"navigate\",\"payload\":{\"tabId\":\"" + t + "\",\"url\":\"https://example.org/next\"}}",
        "{\"op\":\"invoke\",\"channel\":\"navigate:back\",\"payload\":{\"tabId\":\"" + t + "\"}}",
        "{\"op\":\"invoke\",\"channel\":\"navigate:forward\",\"payload\":{\"tabId\":\"" + t + "\"}}",
        "{\"op\":\"invoke\",\"channel\":\"tab:update\",\"payload\":{\"tabId\":\"" + t + "\",\"pinned\":true}}",
        "{\"op\":\"invoke\",\"channel\":\"window:update\",\"payload\":{\"windowId\":\"" + w + "\",\"state\":\"maximized\"}}",
        "{\"op\":\"invoke\",\"channel\":\"settings:update\",\"payload\":{\"key\":\"search.engine\",\"value\":\"ecosia\"}}",
        "{\"op\":\"invoke\",\"channel\":\"settings:get\",\"payload\":{}}",
        "{\"op\":\"invoke\",\"channel\":\"power:state\",\"payload\":{}}",
        "{\"op\":\"invoke\",\"channel\":\"renderers:list\",\"payload\":{}}",
        "{\"op\":\"send\",\"channel\":\"state:resync\",\"payload\":{\"haveVersion\":0}}",
        "{\"op\":\"state\"}",
        "{\"op\":\"invoke\",\"channel\":\"tab:delete\",\"payload\":{\"tabId\":\"" + t + "\"}}",
        "{\"op\":\"invoke\",\"channel\":\"window:close\",\"payload\":{\"windowId\":\"" + w + "\"}}");
    Result console = ipc(String.join("\n", commands) + "\n", "console", "--json");
    assertEquals(0, console.exit(), console.stderr());
    List<JsonNode> answers = console.stdout().lines().filter(l -> !l.isBlank()).map(PayloadCodec::parseJson).toList();
    assertEquals(commands.size(), answers.size(), console.stdout());
    answers.forEach(a -> assertFalse(a.has("error"), a.toString()));
    assertEquals("https://example.org/next", answers.get(0).get("result").get("url").asText());
    assertEquals("https://example.org/", answers.get(1).get("result").get("url").asText());
    assertEquals("https://example.org/next", answers.get(2).get("result").get("url").asText());
    assertTrue(answers.get(3).get("result").get("pinned").asBoolean());
    assertEquals("maximized", answers.get(4).get("result").get("state").asText());
    assertEquals("ecosia", answers.get(5).get("result").get("value").asText());
    assertEquals("ecosia", answers.get(6).get("result").get("settings").get("search.engine").asText());
    assertNotNull(answers.get(7).get("result").get("source"));
    assertTrue(answers.get(8).toString().contains("renderer-1"), answers.get(8).toString());
    assertTrue(answers.get(10).toString().contains("tabs/" + t), answers.get(10).toString());
    assertEquals(t, answers.get(11).get("result").get("tabId").asText());
    assertEquals(w, answers.get(12).get("result").get("windowId").asText());
  }

  @Test
  @Order(5)
  void shouldPrintTheInspectorUrlAfterTheReadyLineAndProfilerFiguresAsJson() throws Exception {
    int ready = -1;
    for (int i = 0; i < mainOutput.size(); i++) {
      if (mainOutput.get(i).contains("main process ready")) {
        ready = i;
      }
    }
    assertEquals("Inspector: " + Files.readString(dataDir.resolve("inspector.url")).strip(), mainOutput.get(ready + 1));
    assertTrue(inspectorLine.matches("Inspector: http://127\\.0\\.0\\.1:\\d+/\\?token=[A-Za-z0-9_-]{40,}"), inspectorLine);

    Result stats = ipc(null, "stats");
    assertEquals(0, stats.exit(), stats.stderr());
    JsonNode tabCreate = null;
    for (JsonNode channel : stats.json().get("channels")) {
      if (channel.get("channel").asText().equals("tab:create")) {
        tabCreate = channel;
      }
    }
    assertNotNull(tabCreate, stats.stdout());
    assertTrue(tabCreate.get("sinceStart").get("messages").asLong() >= 1, stats.stdout());
    assertTrue(tabCreate.get("sinceStart").get("p99Ms").asDouble() > 0, stats.stdout());
    // The earlier invoke of a missing tab shows up as an error by code.
    JsonNode tabUpdate = null;
    for (JsonNode channel : stats.json().get("channels")) {
      if (channel.get("channel").asText().equals("tab:update")) {
        tabUpdate = channel;
      }
    }
    assertNotNull(tabUpdate, stats.stdout());
    assertEquals(1, tabUpdate.get("sinceStart").get("errors").get("NOT_FOUND").asInt(), stats.stdout());
  }

  @Test
  @Order(5)
  void shouldTailFilteredMessagesWithMonitor() throws Exception {
    Process human = script("ipc", "--data-dir", dataDir.toString(), "monitor", "--channel", "power:*", "--count", "2").start();
    Process none = script("ipc", "--data-dir", dataDir.toString(), "monitor", "--json",
        "--channel", "power:*", "--renderer", "console-999", "--count", "1").start();
    Process json = script("ipc", "--data-dir", dataDir.toString(), "monitor", "--json", "--type", "COMMAND",
        "--channel", "pow*", "--count", "1").start();
    CompletableFuture<String> humanOut = CompletableFuture.supplyAsync(() -> read(human.getInputStream()));
    CompletableFuture<String> jsonOut = CompletableFuture.supplyAsync(() -> read(json.getInputStream()));
    try {
      // The monitors subscribe in their own time: send until they have seen a request and its reply.
      for (int i = 0; i < 10 && (human.isAlive() || json.isAlive()); i++) {
        ipc(null, "invoke", "power:state");
      }
      assertTrue(human.waitFor(30, TimeUnit.SECONDS), "monitor stops after --count messages");
      assertEquals(0, human.exitValue());
      List<String> lines = humanOut.get(5, TimeUnit.SECONDS).lines().toList();
      assertEquals(2, lines.size(), String.join("\n", lines));
      assertTrue(lines.stream().allMatch(l -> l.contains("power:state")), String.join("\n", lines));
      assertTrue(lines.stream().anyMatch(l -> l.contains(" ms ")), "the reply line shows its latency: " + lines);

      assertTrue(json.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, json.exitValue());
      JsonNode message = PayloadCodec.parseJson(jsonOut.get(5, TimeUnit.SECONDS).strip());
      assertEquals("power:state", message.get("channel").asText());
      assertEquals("COMMAND", message.get("type").asText());
      assertTrue(none.isAlive(), "a renderer filter that matches nothing prints nothing");
    } finally {
      human.destroyForcibly();
      none.destroyForcibly();
      json.destroyForcibly();
    }
  }

  @Test
  @Order(6)
  void shouldListenToEnvelopes() throws Exception {
    Process listen = script("ipc", "--data-dir", dataDir.toString(), "listen", "system:event", "--count", "1").start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(listen.getInputStream()));
    CompletableFuture.supplyAsync(() -> read(listen.getErrorStream()));
    // Keep making settings-changed events until the listener, once connected, has printed one.
    for (int i = 0; i < 15 && !listen.waitFor(2, TimeUnit.SECONDS); i++) {
      assertEquals(0, ipc(null, "invoke", "settings:update", "{\"key\":\"zoom\",\"value\":" + (100 + i) + "}").exit());
    }
    boolean exited = listen.waitFor(10, TimeUnit.SECONDS);
    if (!exited) {
      listen.destroyForcibly();
    }
    assertTrue(exited, "listen --count 1 exits after one envelope");
    assertEquals(0, listen.exitValue());
    JsonNode envelope = PayloadCodec.parseJson(out.get(5, TimeUnit.SECONDS).lines().findFirst().orElseThrow());
    assertEquals("system:event", envelope.get("channel").asText());
    assertEquals("SYSTEM_EVENT", envelope.get("type").asText());
    assertNotNull(envelope.get("payload").get("kind"));
  }

  @Test
  @Order(7)
  void shouldStopEverythingOnCtrlC() throws Exception {
    List<ProcessHandle> renderers = main.descendants().filter(p -> p.info().commandLine().map(c -> c.contains("RendererMain")).orElse(true)).toList();
    assertFalse(renderers.isEmpty(), "main launched a renderer JVM");
    // Ctrl-C in a terminal signals the whole foreground process group: main and its renderers at once.
    int outputBefore = mainOutput.size();
    new ProcessBuilder("kill", "-INT", "--", "-" + main.pid()).start().waitFor(10, TimeUnit.SECONDS);
    assertTrue(main.waitFor(60, TimeUnit.SECONDS), "main exits on SIGINT");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (renderers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(renderers.stream().noneMatch(ProcessHandle::isAlive), "no renderer outlives main");
    List<String> shutdownOutput = mainOutput.subList(outputBefore, mainOutput.size());
    assertTrue(shutdownOutput.stream().noneMatch(l -> l.contains("relaunching")),
        "renderers stopping with main are not relaunched: " + shutdownOutput);
    assertFalse(Files.exists(dataDir.resolve("devtools.credential")), "a stopped main leaves no live-looking credential");
    assertFalse(Files.exists(dataDir.resolve("inspector.url")), "nor an inspector URL");
    String log = Files.readString(dataDir.resolve("logs").resolve("main.log"));
    assertTrue(log.contains("IPC inspector at"), log);
    assertTrue(log.contains("Error reply to renderer") && log.contains("NOT_FOUND"), "error replies are logged");
  }
}
