package org.browseros.ipc.renderer.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.renderer.TestMain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The console run in-process with picocli against a test main over real remoting. */
@ExtendWith(LogCapturingExtension.class)
class IpcConsoleTest {
  static ActorTestKit main;
  static final AtomicInteger gateways = new AtomicInteger();

  @TempDir Path dataDir;

  @BeforeAll
  static void startMain() {
    main = ActorTestKit.create("edge", TestMain.config());
  }

  @AfterAll
  static void stopMain() {
    main.shutdownTestKit();
  }

  record Run(int status, List<String> lines) {}

  /** Starts a gateway and writes the devtools credential for it into the data dir. */
  private TestProbe<Object> mainWithCredential(TestProbe<Hello> hellos, StateSync initialState) throws IOException {
    TestProbe<Object> fromConsole = main.createTestProbe();
    ActorRef<ToGateway> gateway = main.spawn(
        TestMain.gateway(TestMain.Settings.welcoming(initialState), hellos.ref(), fromConsole.ref()),
        "gateway-" + gateways.incrementAndGet());
    String path = gateway.path().toStringWithAddress(main.system().address());
    Files.writeString(dataDir.resolve(IpcConsole.CREDENTIAL_FILE),
        PayloadCodec.toJsonString(Map.of("gateway", path, "secret", TestMain.SECRET)));
    return fromConsole;
  }

  private static Run run(String stdin, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cmd = new CommandLine(new IpcConsole(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(new StringWriter(), true));
    int status = cmd.execute(args);
    return new Run(status, out.toString().lines().toList());
  }

  @Test
  void shouldAnswerEachJsonCommandWithOneLineAndSayGoodbyeAtEof() throws IOException {
    TestProbe<Hello> hellos = main.createTestProbe();
    StateSync initial = new StateSync(3, true, Map.of("settings/homepage", PayloadCodec.parseJson("\"https://home\"")), List.of());
    TestProbe<Object> fromConsole = mainWithCredential(hellos, initial);
    String stdin = String.join("\n",
        "{\"op\":\"invoke\",\"channel\":\"test:echo\",\"payload\":{\"text\":\"hi\",\"n\":[1,2]}}",
        "{\"op\":\"invoke\",\"channel\":\"test:fail\",\"payload\":{}}",
        "{\"op\":\"state\"}",
        "",
        "not json",
        "{\"op\":\"send\",\"channel\":\"test:ping\",\"payload\":{\"a\":1}}",
        "");

    Run run = run(stdin, "--data-dir", dataDir.toString(), "console", "--json");

    assertEquals(0, run.status());
    assertEquals(5, run.lines().size(), () -> "got " + run.lines());
    assertEquals("{\"result\":{\"text\":\"hi\",\"n\":[1,2]}}", run.lines().get(0));
    assertEquals("{\"error\":{\"code\":\"VALIDATION\",\"message\":\"payload refused\"}}", run.lines().get(1));
    assertEquals("{\"result\":{\"version\":3,\"state\":{\"settings/homepage\":\"https://home\"}}}", run.lines().get(2));
    assertEquals("VALIDATION", PayloadCodec.parseJson(run.lines().get(3)).at("/error/code").asText());
    assertEquals("{\"result\":{\"sent\":\"test:ping\"}}", run.lines().get(4));
    assertNull(hellos.receiveMessage().rendererId());
    List<Object> received = fromConsole.receiveSeveralMessages(4);
    assertEquals("test:ping", ((Envelope) received.get(2)).channel());
    assertInstanceOf(Goodbye.class, received.get(3));
  }

  @Test
  void shouldPrintTheReplyOfInvokeAndAcceptOptionsAfterTheSubcommand() throws IOException {
    mainWithCredential(main.createTestProbe(), null);

    Run run = run("", "invoke", "test:echo", "{\"text\":\"x\"}", "--data-dir", dataDir.toString(), "--timeout", "3s");

    assertEquals(0, run.status());
    assertEquals(List.of("{\"text\":\"x\"}"), run.lines());
  }

  @Test
  void shouldPrintTheErrorAndExitWithOneWhenInvokeFails() throws IOException {
    mainWithCredential(main.createTestProbe(), null);

    Run run = run("", "--data-dir", dataDir.toString(), "invoke", "nope:missing");

    assertEquals(1, run.status());
    assertEquals(List.of("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"No such channel 'nope:missing'\"}}"), run.lines());
  }

  @Test
  void shouldExitWithOneWhenThereIsNoCredential() {
    Run run = run("", "--data-dir", dataDir.toString(), "state");

    assertEquals(1, run.status());
    assertEquals(1, run.lines().size());
    assertEquals("CONNECTION", PayloadCodec.parseJson(run.lines().get(0)).at("/error/code").asText());
  }

  /** The inspector's /api/logging, as main serves it: the whole list of logged globs, PUT with a CSRF header. */
  static final class FakeInspector implements AutoCloseable {
    final List<String> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
    final com.sun.net.httpserver.HttpServer server;

    FakeInspector(Path dataDir) throws IOException {
      server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/api/logging", exchange -> {
        int status = 200;
        if (!"token=t0k".equals(exchange.getRequestURI().getRawQuery())) {
          status = 403;
        } else if (exchange.getRequestMethod().equals("PUT")) {
          if (exchange.getRequestHeaders().getFirst("X-Inspector") == null) {
            status = 403;
          } else {
            var body = PayloadCodec.parseJson(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            channels.clear();
            body.get("channels").forEach(c -> channels.add(c.asText()));
          }
        }
        byte[] answer = (status == 200 ? PayloadCodec.toJsonString(Map.of("channels", channels))
            : "{\"error\":{\"code\":\"PERMISSION\",\"message\":\"refused\"}}").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
      });
      server.start();
      Files.writeString(dataDir.resolve(InspectorClient.URL_FILE),
          "http://127.0.0.1:" + server.getAddress().getPort() + "/?token=t0k\n");
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void shouldSwitchMessageLoggingPerChannelGlob() throws IOException {
    try (FakeInspector inspector = new FakeInspector(dataDir)) {
      inspector.channels.add("window:*");

      Run on = run("", "--data-dir", dataDir.toString(), "log", "tab:*", "on");
      assertEquals(0, on.status());
      assertEquals(List.of("window:*", "tab:*"), inspector.channels);
      assertEquals(List.of("{\"channels\":[\"window:*\",\"tab:*\"]}"), on.lines());

      Run off = run("", "--data-dir", dataDir.toString(), "log", "window:*", "off");
      assertEquals(0, off.status());
      assertEquals(List.of("tab:*"), inspector.channels);

      assertEquals(List.of("{\"channels\":[\"tab:*\"]}"), run("", "--data-dir", dataDir.toString(), "log").lines());

      Run wrong = run("", "--data-dir", dataDir.toString(), "log", "tab:*", "maybe");
      assertEquals(1, wrong.status());
      assertEquals("VALIDATION", PayloadCodec.parseJson(wrong.lines().get(0)).at("/error/code").asText());
      assertEquals(List.of("tab:*"), inspector.channels);
    }
  }

  @Test
  void shouldSwitchMessageLoggingFromTheConsole() throws IOException {
    mainWithCredential(main.createTestProbe(), null);
    try (FakeInspector inspector = new FakeInspector(dataDir)) {
      Run run = run("{\"op\":\"log\",\"channel\":\"settings:*\",\"payload\":{\"on\":true}}\n"
              + "{\"op\":\"log\",\"channel\":\"settings:*\",\"payload\":\"off\"}\n",
          "--data-dir", dataDir.toString(), "console", "--json");
      assertEquals(0, run.status());
      assertEquals(List.of("{\"result\":{\"channels\":[\"settings:*\"]}}", "{\"result\":{\"channels\":[]}}"), run.lines());
      assertEquals(List.of(), inspector.channels);
    }
  }
}
