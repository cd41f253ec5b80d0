package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** RendererMain as a real OS process against a test main: it connects, answers, and exits when it should. */
@ExtendWith(LogCapturingExtension.class)
class RendererMainTest {
  static ActorTestKit main;
  static final AtomicInteger gateways = new AtomicInteger();
  final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void startMain() {
    main = ActorTestKit.create("edge", TestMain.config());
  }

  @AfterAll
  static void stopMain() {
    main.shutdownTestKit();
  }

  @AfterEach
  void killProcesses() {
    processes.forEach(Process::destroyForcibly);
  }

  record Launched(Process process, String firstLine, Hello hello, TestProbe<Object> fromRenderer) {}

  /** A test gateway in "main", with probes for the Hellos it gets and for what renderers send it. */
  record Gateway(ActorRef<ToGateway> ref, TestProbe<Hello> hellos, TestProbe<Object> fromRenderer) {}

  private Gateway gateway(TestMain.Settings settings) {
    TestProbe<Hello> hellos = main.createTestProbe();
    TestProbe<Object> fromRenderer = main.createTestProbe();
    ActorRef<ToGateway> ref = main.spawn(
        TestMain.gateway(settings, hellos.ref(), fromRenderer.ref()), "gateway-" + gateways.incrementAndGet());
    return new Gateway(ref, hellos, fromRenderer);
  }

  /** RendererMain in a JVM of its own, talking to {@code gateway}, with {@code env} on a clean renderer environment. */
  private Process start(Gateway gateway, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        "-cp", System.getProperty("java.class.path"),
        RendererMain.class.getName());
    pb.environment().keySet().removeAll(List.of(RendererMain.ENV_RENDERER_ID, RendererMain.ENV_SECRET,
        RendererMain.ENV_SPARE, RendererMain.ENV_PARENT_PID));
    pb.environment().put(RendererMain.ENV_GATEWAY, gateway.ref().path().toStringWithAddress(main.system().address()));
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = pb.start();
    processes.add(process);
    return process;
  }

  private Launched launch(TestMain.Settings settings, String rendererId, Long parentPid) throws Exception {
    Gateway gateway = gateway(settings);
    Map<String, String> env = new java.util.HashMap<>(Map.of(
        RendererMain.ENV_RENDERER_ID, rendererId, RendererMain.ENV_SECRET, TestMain.SECRET));
    if (parentPid != null) {
      env.put(RendererMain.ENV_PARENT_PID, Long.toString(parentPid));
    }
    Process process = start(gateway, env);
    String line = readLine(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
    return new Launched(process, line, gateway.hellos().expectMessageClass(Hello.class), gateway.fromRenderer());
  }

  record Spare(Process process, TestProbe<Hello> hellos, TestProbe<Object> fromRenderer) {}

  /** A spare renderer (no id, no secret) launched against a fresh gateway, once it said it is ready. */
  private Spare launchSpare(TestMain.Settings settings) throws Exception {
    Gateway gateway = gateway(settings);
    Process process = start(gateway, Map.of(RendererMain.ENV_SPARE, "1"));
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("spare renderer ready (pid " + process.pid() + ")", readLine(out));
    return new Spare(process, gateway.hellos(), gateway.fromRenderer());
  }

  /** The next line, or null at its end; at most 30 s. */
  private static String readLine(BufferedReader out) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    }).get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldConnectAsTheRendererMainAssignsOnceASpare(@TempDir Path dir) throws Exception {
    Spare spare = launchSpare(TestMain.Settings.welcoming(new StateSync(3, true, Map.of(), List.of())));
    // No identity yet: it has nothing to say Hello with.
    spare.hellos().expectNoMessage(Duration.ofMillis(500));

    Path log = dir.resolve("renderer-12.log");
    try (Writer in = new OutputStreamWriter(spare.process().getOutputStream(), StandardCharsets.UTF_8)) {
      in.write("renderer-12\n" + TestMain.SECRET + "\n" + log + "\n");
    }

    Hello hello = spare.hellos().expectMessageClass(Hello.class);
    assertEquals("renderer-12", hello.rendererId());
    assertEquals(TestMain.SECRET, hello.secret());
    // From its assignment on, its output goes to the renderer's own log.
    String connected = "renderer renderer-12 connected (pid " + spare.process().pid() + ")";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!(Files.exists(log) && Files.readString(log).contains(connected)) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(Files.readString(log).contains(connected), "no connected line in the renderer's log");
    hello.renderer().tell(Envelope.command(RendererChannels.RENDERER_INFO.name(),
        PayloadCodec.encode(new RendererChannels.RendererInfoQuery())));
    Envelope reply = spare.fromRenderer().expectMessageClass(Envelope.class);
    RendererChannels.RendererStatus status = PayloadCodec.decode(reply.payload(), RendererChannels.RendererStatus.class);
    assertEquals("renderer-12", status.rendererId());
    assertEquals(spare.process().pid(), status.pid());

    spare.process().destroy();
    spare.fromRenderer().expectMessageClass(Goodbye.class);
    exitStatus(spare.process());
  }

  @Test
  void shouldExitWhenMainClosesASparesStdinWithoutAssigningIt() throws Exception {
    Spare spare = launchSpare(TestMain.Settings.welcoming(null));

    spare.process().getOutputStream().close();

    assertEquals(0, exitStatus(spare.process()));
    spare.hellos().expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldExitWhenASpareIsAssignedSomethingMalformed() throws Exception {
    Spare spare = launchSpare(TestMain.Settings.welcoming(null));

    try (Writer in = new OutputStreamWriter(spare.process().getOutputStream(), StandardCharsets.UTF_8)) {
      in.write(" renderer-13\n" + TestMain.SECRET + "\n\n");
    }

    assertEquals(0, exitStatus(spare.process()));
    spare.hellos().expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldRefuseToStartWithoutAnIdentityUnlessASpare() throws Exception {
    Process process = start(gateway(TestMain.Settings.welcoming(null)), Map.of());

    assertEquals(RendererMain.EXIT_USAGE, exitStatus(process));
  }

  private static int exitStatus(Process process) throws InterruptedException {
    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "renderer process did not exit");
    return process.exitValue();
  }

  @Test
  void shouldConnectAnswerRendererInfoAndSayGoodbyeOnSigterm() throws Exception {
    StateSync state = new StateSync(7, true, Map.of(), List.of());
    Launched r = launch(TestMain.Settings.welcoming(state), "renderer-9", null);

    assertEquals("renderer renderer-9 connected (pid " + r.process().pid() + ")", r.firstLine());

    Envelope request = Envelope.command(RendererChannels.RENDERER_INFO.name(),
        PayloadCodec.encode(new RendererChannels.RendererInfoQuery()));
    r.hello().renderer().tell(request);
    Envelope reply = r.fromRenderer().expectMessageClass(Envelope.class);
    assertEquals(MessageType.COMMAND, reply.type());
    RendererChannels.RendererStatus status = PayloadCodec.decode(reply.payload(), RendererChannels.RendererStatus.class);
    assertEquals("renderer-9", status.rendererId());
    assertEquals(r.process().pid(), status.pid());
    assertEquals(7, status.stateVersion());

    r.process().destroy();

    r.fromRenderer().expectMessageClass(Goodbye.class);
    exitStatus(r.process());
  }

  @Test
  void shouldExitWhenHeartbeatsGoUnanswered() throws Exception {
    Launched r = launch(new TestMain.Settings(null, 100, false, null), "renderer-10", null);

    assertEquals(RendererMain.EXIT_CONNECTION_LOST, exitStatus(r.process()));
  }

  @Test
  void shouldExitWhenTheParentProcessDies() throws Exception {
    Process parent = new ProcessBuilder("sleep", "60").start();
    processes.add(parent);
    Launched r = launch(TestMain.Settings.welcoming(null), "renderer-11", parent.pid());
    assertTrue(r.firstLine().startsWith("renderer renderer-11 connected"));

    parent.destroy();

    assertEquals(0, exitStatus(r.process()));
    r.fromRenderer().expectMessageClass(Goodbye.class);
  }
}
