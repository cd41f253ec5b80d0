package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainScript.script;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.PayloadCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adversarial suite through the console a user has: {@code scripts/ipc invoke} as an OS
 * process against a real main (mutual TLS, the devtools capability, here with
 * {@code settings:update} denied as a deployment might). Every bad invoke must exit 1 and print its
 * typed error code; afterwards main still answers and the console's window is as it was.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HostileScriptsEndToEndTest {
  @TempDir
  static Path dataDir;

  private MainFixture fixture;
  private String windowId;

  record Result(int exit, String stdout, String stderr) {
    JsonNode json() {
      return PayloadCodec.parseJson(stdout.strip());
    }

    String errorCode() {
      JsonNode error = json().get("error");
      return error == null ? null : error.get("code").asText();
    }

    String errorMessage() {
      return json().get("error").get("message").asText();
    }
  }

  /** One hostile invoke and the error code it must get. */
  record Case(String name, String code, String channel, String json) {}

  @BeforeAll
  void startMain() throws Exception {
    fixture = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)),
        Map.of("browseros.security.capabilities.devtools.channels.deny", List.of("settings:update"),
            "browseros.gateway.missed-heartbeats", 120));
  }

  @Test
  @Order(0)
  void shouldStripControlAndBidiCharactersFromATitle() throws Exception {
    Result window = ipc("invoke", "window:create", "{\"title\":\"Console\\u202E window\\u0007\\u2066\\u0000\"}");
    assertEquals(0, window.exit(), window.stdout() + window.stderr());
    assertEquals("Console window", window.json().get("title").asText());
    windowId = window.json().get("windowId").asText();
  }

  @Test
  @Order(1)
  void shouldExitWithOneAndPrintTheTypedErrorOfEveryHostileInvoke() throws Exception {
    List<Case> cases = List.of(
        new Case("wrong type", "VALIDATION", "tab:update", "{\"tabId\":5}"),
        new Case("unknown field", "VALIDATION", "window:create", "{\"title\":\"x\",\"admin\":true}"),
        new Case("missing field", "VALIDATION", "navigate", "{\"url\":\"https://a.example/\"}"),
        new Case("huge string", "TOO_LARGE", "window:create", "{\"title\":\"" + "a".repeat(20_000) + "\"}"),
        new Case("deep nesting", "VALIDATION", "tab:update", "{\"tabId\":" + "[".repeat(200) + "]".repeat(200) + "}"),
        new Case("unknown channel", "NOT_FOUND", "evil:channel", "{}"),
        new Case("forbidden channel", "PERMISSION", "settings:update", "{\"key\":\"theme\",\"value\":\"dark\"}"),
        new Case("javascript: url", "VALIDATION", "tab:create",
            "{\"windowId\":\"" + windowId + "\",\"url\":\"javascript:alert(document.cookie)\"}"),
        new Case("malformed channel name", "VALIDATION", "../../gateway", "{}"));
    // Two at a time: each is a JVM start and a TLS handshake on a 2-core machine.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Result>> results = new ArrayList<>();
      for (Case c : cases) {
        results.add(pool.submit(() -> ipc("invoke", c.channel(), c.json())));
      }
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        Case c = cases.get(i);
        Result result = results.get(i).get(150, TimeUnit.SECONDS);
        String code = result.stdout().isBlank() ? null : result.errorCode();
        boolean named = !c.name().equals("missing field") || result.stdout().contains("tabId");
        if (result.exit() != 1 || !c.code().equals(code) || !named) {
          wrong.add(c.name() + ": exit " + result.exit() + ", printed " + abbreviate(result.stdout()) + abbreviate(result.stderr()));
        }
      }
      assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void shouldStillAnswerWithTheConsolesWindowIntact() throws Exception {
    Result console = ipcWithInput("{\"op\":\"invoke\",\"channel\":\"power:state\"}\n"
        + "{\"op\":\"invoke\",\"channel\":\"window:update\",\"payload\":{\"windowId\":\"" + windowId + "\"}}\n",
        "console", "--json");
    assertEquals(0, console.exit(), console.stdout() + console.stderr());
    List<JsonNode> answers = console.stdout().lines().filter(l -> !l.isBlank()).map(PayloadCodec::parseJson).toList();
    assertEquals(2, answers.size(), console.stdout());
    assertTrue(answers.get(0).has("result"), console.stdout());
    JsonNode window = answers.get(1).get("result");
    assertEquals("Console window", window.get("title").asText(), console.stdout());
    assertEquals(0, window.get("tabs").size(), console.stdout());
    assertFalse(fixture.node().coreSystem().whenTerminated().isCompleted());
  }

  private Result ipc(String... args) throws Exception {
    return ipcWithInput(null, args);
  }

  private Result ipcWithInput(String stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
    all.addAll(List.of(args));
    ProcessBuilder builder = script("ipc", all.toArray(String[]::new));
    // Generous client bounds: CI machines run several builds at once and a loaded JVM answers late.
    builder.environment().put("JAVA_TOOL_OPTIONS", "-Dbrowseros.renderer.handshake-timeout=60s"
        + " -Dbrowseros.renderer.missed-heartbeats=60 -Dbrowseros.renderer.invoke-timeout=30s");
    Process process = builder.start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("scripts/ipc " + args[0] + " did not finish");
    }
    return new Result(process.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "...";
  }
}
