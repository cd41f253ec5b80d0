package org.browseros.ipc.main.renderers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.renderers.RendererSupervisor.Authenticate;
import org.browseros.ipc.main.renderers.RendererSupervisor.Command;
import org.browseros.ipc.main.renderers.RendererSupervisor.Connected;
import org.browseros.ipc.main.renderers.RendererSupervisor.Disconnected;
import org.browseros.ipc.main.renderers.RendererSupervisor.ListRenderers;
import org.browseros.ipc.main.renderers.RendererSupervisor.Restart;
import org.browseros.ipc.main.renderers.RendererSupervisor.Settings;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs running {@link SleepingRendererMain}, on this test JVM's java and classpath. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one instance, so one actor system for the class
class RendererSupervisorTest {

  @JUnit5TestKit final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String GATEWAY = "pekko://edge@127.0.0.1:25999/user/gateway";
  private static final String SECRET_SHAPE = "[A-Za-z0-9_-]{43}";
  /** Every pid the tests saw, so that none survives the class whatever happens. */
  private static final Set<Long> seenPids = ConcurrentHashMap.newKeySet();

  @TempDir Path dir;
  private final List<ActorRef<Command>> supervisors = new ArrayList<>();

  @AfterEach
  void stopSupervisors() {
    supervisors.forEach(testKit::stop);
    supervisors.clear();
  }

  @AfterAll
  static void killLeftovers() {
    seenPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    ProcessHandle.current().children().forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void shouldLaunchRenderersWithIdsCapabilitiesAndEnvironment() throws IOException {
    ActorRef<Command> supervisor = spawn(settings(3, ""), testKit.createTestProbe(SystemEvent.class));

    List<RendererInfo> renderers = awaitAllRunning(supervisor, 3);
    assertEquals(List.of("renderer-1", "renderer-2", "renderer-3"),
        renderers.stream().map(RendererInfo::rendererId).toList());
    assertEquals(List.of("shell", "web", "shell"), renderers.stream().map(RendererInfo::capability).toList());
    Set<String> secrets = new java.util.HashSet<>();
    for (RendererInfo info : renderers) {
      assertEquals(RendererSupervisor.STARTING, info.status());
      assertEquals(0, info.restarts());
      assertEquals("default", info.profileId());
      Properties launched = launchRecord(info.rendererId(), info.pid());
      assertEquals(info.rendererId(), launched.getProperty("id"));
      assertEquals(GATEWAY, launched.getProperty("gateway"));
      assertEquals(String.valueOf(ProcessHandle.current().pid()), launched.getProperty("parentPid"));
      String secret = launched.getProperty("secret");
      assertTrue(secret.matches(SECRET_SHAPE), "launch secret is 32 bytes base64url: " + secret.length());
      secrets.add(secret);

      String commandLine = commandLine(info.pid());
      assertTrue(commandLine.endsWith(SleepingRendererMain.class.getName()), "launched the configured main class");
      assertFalse(commandLine.contains(secret), "the launch secret must not be on the command line");
    }
    assertEquals(3, secrets.size(), "each launch gets its own secret");

    Path log = dir.resolve("logs").resolve("renderer-2.log");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(Files.readString(log).contains("sleeping renderer renderer-2 up"));
      return Done.getInstance();
    });
  }

  @Test
  void shouldAcceptALaunchSecretOnlyOnce() throws IOException {
    ActorRef<Command> supervisor = spawn(settings(1, ""), testKit.createTestProbe(SystemEvent.class));
    RendererInfo info = awaitAllRunning(supervisor, 1).get(0);
    String secret = launchRecord("renderer-1", info.pid()).getProperty("secret");

    assertRefused(authenticate(supervisor, "renderer-1", "not-the-secret"));
    assertRefused(authenticate(supervisor, "renderer-1", null));
    assertRefused(authenticate(supervisor, "renderer-9", secret));
    assertRefused(authenticate(supervisor, null, secret));

    StatusReply<Caller> accepted = authenticate(supervisor, "renderer-1", secret);
    assertTrue(accepted.isSuccess(), () -> String.valueOf(accepted.getError()));
    assertEquals(new Caller("renderer-1", "default", "shell"), accepted.getValue());

    assertRefused(authenticate(supervisor, "renderer-1", secret));
  }

  @Test
  void shouldWriteTheDevtoolsCredentialOwnerOnlyAndAcceptItRepeatedly() throws IOException {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(0, ""), events);
    Path file = dir.resolve(RendererSupervisor.DEVTOOLS_CREDENTIAL_FILE);
    // Written at start: once the actor answers, the file is there.
    assertEquals(List.of(), list(supervisor));

    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    JsonNode credential = PayloadCodec.parseJson(Files.readString(file));
    assertEquals(GATEWAY, credential.get("gateway").asText());
    String secret = credential.get("secret").asText();
    assertTrue(secret.matches(SECRET_SHAPE));

    assertEquals(new Caller("console-1", "default", "devtools"), authenticate(supervisor, null, secret).getValue());
    assertEquals(new Caller("console-2", "default", "devtools"), authenticate(supervisor, null, secret).getValue());
    assertRefused(authenticate(supervisor, null, "wrong"));
    assertRefused(authenticate(supervisor, "console-1", secret));

    assertEquals(
        List.of(new RendererInfo("console-1", null, "devtools", "attached", 0, "default"),
            new RendererInfo("console-2", null, "devtools", "attached", 0, "default")),
        list(supervisor));

    supervisor.tell(new Connected("console-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "console-1");
    supervisor.tell(new Disconnected("console-1", "goodbye"));
    expectEvent(events, SystemEvent.RENDERER_LEFT, "console-1");
    assertEquals(List.of("console-2"), list(supervisor).stream().map(RendererInfo::rendererId).toList());
  }

  @Test
  void shouldRelaunchAKilledRendererAndAnnounceTheRestart() throws IOException {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(2, ""), events);
    List<RendererInfo> before = awaitAllRunning(supervisor, 2);
    long oldPid = before.get(0).pid();
    long otherPid = before.get(1).pid();
    String oldSecret = launchRecord("renderer-1", oldPid).getProperty("secret");

    supervisor.tell(new Connected("renderer-1"));
    SystemEvent joined = expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");
    assertEquals("0", joined.data().get("restarts"));
    assertEquals(RendererSupervisor.CONNECTED, info(supervisor, "renderer-1").status());

    ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();

    SystemEvent crashed = expectEvent(events, SystemEvent.RENDERER_CRASHED, "renderer-1");
    assertEquals(String.valueOf(oldPid), crashed.data().get("pid"));
    assertEquals("137", crashed.data().get("exitCode"), "SIGKILL shows as 128 + 9");
    RendererInfo relaunched = awaitInfo(supervisor, "renderer-1",
        r -> r.pid() != null && r.pid() != oldPid && r.status().equals(RendererSupervisor.STARTING));
    assertEquals(1, relaunched.restarts());
    assertNotEquals(oldSecret, launchRecord("renderer-1", relaunched.pid()).getProperty("secret"),
        "a relaunch gets a fresh secret");
    assertRefused(authenticate(supervisor, "renderer-1", oldSecret));

    supervisor.tell(new Connected("renderer-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");
    SystemEvent restarted = expectEvent(events, SystemEvent.RENDERER_RESTARTED, "renderer-1");
    assertEquals("1", restarted.data().get("restarts"));
    assertEquals(String.valueOf(relaunched.pid()), restarted.data().get("pid"));

    RendererInfo other = info(supervisor, "renderer-2");
    assertEquals(otherPid, other.pid());
    assertEquals(0, other.restarts());
    assertTrue(ProcessHandle.of(otherPid).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  void shouldRelaunchACrashedRendererAsTheSpareAndStartTheNextSpareOnceItConnects() throws IOException {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(2, "spare { enabled = on, delay = 100ms }"), events);
    List<RendererInfo> before = awaitAllRunning(supervisor, 2);
    long oldPid = before.get(0).pid();
    // No spare while renderers are still starting: it would take CPU from them.
    events.expectNoMessage(Duration.ofMillis(300));
    assertTrue(list(supervisor).stream().noneMatch(r -> r.rendererId().equals(RendererSupervisor.SPARE)));

    supervisor.tell(new Connected("renderer-1"));
    supervisor.tell(new Connected("renderer-2"));
    RendererInfo spare = awaitInfo(supervisor, RendererSupervisor.SPARE, r -> r.pid() != null);
    assertEquals(RendererSupervisor.SPARE, spare.status());
    assertNull(spare.capability(), "a spare has no capability until it is assigned a renderer id");
    Path spareLog = dir.resolve("logs").resolve("spare.log");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(Files.readString(spareLog).contains("sleeping spare " + spare.pid() + " up"));
      return Done.getInstance();
    });
    String commandLine = commandLine(spare.pid());
    assertTrue(commandLine.endsWith(SleepingRendererMain.class.getName()), commandLine);

    ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();

    expectEvent(events, SystemEvent.RENDERER_CRASHED, "renderer-1");
    RendererInfo relaunched = awaitInfo(supervisor, "renderer-1", r -> r.pid() != null && r.pid() != oldPid);
    assertEquals(spare.pid(), relaunched.pid(), "the relaunch is the spare's process");
    assertEquals(1, relaunched.restarts());
    assertEquals("shell", relaunched.capability());
    Properties assigned = launchRecord("renderer-1", spare.pid());
    assertEquals("true", assigned.getProperty("spare"));
    assertEquals(dir.resolve("logs").resolve("renderer-1.log").toAbsolutePath().toString(), assigned.getProperty("logFile"));
    String secret = assigned.getProperty("secret");
    assertTrue(secret.matches(SECRET_SHAPE), "the spare's launch secret is 32 bytes base64url");
    StatusReply<Caller> accepted = authenticate(supervisor, "renderer-1", secret);
    assertTrue(accepted.isSuccess(), () -> String.valueOf(accepted.getError()));
    assertEquals(new Caller("renderer-1", "default", "shell"), accepted.getValue());
    assertTrue(list(supervisor).stream().noneMatch(r -> r.rendererId().equals(RendererSupervisor.SPARE)),
        "the spare was used up");

    supervisor.tell(new Connected("renderer-1"));
    RendererInfo next = awaitInfo(supervisor, RendererSupervisor.SPARE, r -> r.pid() != null);
    assertNotEquals(spare.pid(), next.pid());

    supervisor.tell(RendererSupervisor.Shutdown.INSTANCE);
    testKit.createTestProbe().expectTerminated(supervisor, WAIT);
    for (long pid : List.of(next.pid(), spare.pid(), before.get(1).pid())) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " outlived main");
    }
  }

  @Test
  void shouldReplaceASpareThatExitsUnneededAndStopAfterThreeInARow() {
    ActorRef<Command> supervisor = spawn(settings(1, "spare { enabled = on, delay = 50ms }\n  backoff.min = 50ms"),
        testKit.createTestProbe(SystemEvent.class));
    awaitAllRunning(supervisor, 1);
    supervisor.tell(new Connected("renderer-1"));

    Set<Long> spares = new java.util.HashSet<>();
    for (int i = 0; i < RendererSupervisor.MAX_SPARE_FAILURES; i++) {
      RendererInfo spare = awaitInfo(supervisor, RendererSupervisor.SPARE, r -> r.pid() != null && !spares.contains(r.pid()));
      spares.add(spare.pid());
      ProcessHandle.of(spare.pid()).orElseThrow().destroyForcibly();
    }

    testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      assertTrue(spares.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
      return Done.getInstance();
    });
    // Spares that keep dying are a broken install: renderers launch cold from now on.
    testKit.createTestProbe().expectNoMessage(Duration.ofSeconds(1));
    assertTrue(list(supervisor).stream().noneMatch(r -> r.rendererId().equals(RendererSupervisor.SPARE)));
  }

  @Test
  void shouldKillARendererThatMissedHeartbeatsAndRelaunchIt() {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(1, ""), events);
    long oldPid = awaitAllRunning(supervisor, 1).get(0).pid();
    supervisor.tell(new Connected("renderer-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");

    supervisor.tell(new Disconnected("renderer-1", RendererSupervisor.HEARTBEAT_TIMEOUT));

    SystemEvent left = expectEvent(events, SystemEvent.RENDERER_LEFT, "renderer-1");
    assertEquals(RendererSupervisor.HEARTBEAT_TIMEOUT, left.data().get("reason"));
    SystemEvent crashed = expectEvent(events, SystemEvent.RENDERER_CRASHED, "renderer-1");
    assertEquals(String.valueOf(oldPid), crashed.data().get("pid"));
    RendererInfo relaunched = awaitInfo(supervisor, "renderer-1", r -> r.pid() != null && r.pid() != oldPid);
    assertEquals(1, relaunched.restarts());
    assertFalse(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  void shouldIgnoreTheHeartbeatTimeoutOfASessionWhoseProcessWasAlreadyRelaunched() {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(1, ""), events);
    long oldPid = awaitAllRunning(supervisor, 1).get(0).pid();
    supervisor.tell(new Connected("renderer-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");
    ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();
    expectEvent(events, SystemEvent.RENDERER_CRASHED, "renderer-1");
    long newPid = awaitInfo(supervisor, "renderer-1", r -> r.pid() != null && r.pid() != oldPid).pid();

    // The dead process's connection only now times out on main's side, before the new one connected.
    supervisor.tell(new Disconnected("renderer-1", RendererSupervisor.HEARTBEAT_TIMEOUT));
    expectEvent(events, SystemEvent.RENDERER_LEFT, "renderer-1");

    supervisor.tell(new Connected("renderer-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");
    RendererInfo after = info(supervisor, "renderer-1");
    assertEquals(newPid, after.pid(), "the relaunched process was not killed for its predecessor's timeout");
    assertEquals(1, after.restarts());
    assertTrue(ProcessHandle.of(newPid).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  void shouldBackOffExponentiallyAndGiveUpWhileOthersKeepRunning() throws IOException {
    Files.writeString(dir.resolve("renderer-1.exit"), "3");
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(
        settings(2, "backoff { min = 100ms, max = 10s, random-factor = 0.2 }, max-restarts = 3"), events);
    long otherPid = awaitInfo(supervisor, "renderer-2", r -> r.pid() != null).pid();

    List<SystemEvent> crashes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      crashes.add(expectEvent(events, SystemEvent.RENDERER_CRASHED, "renderer-1"));
    }
    long[] delays = crashes.subList(0, 3).stream()
        .mapToLong(e -> Long.parseLong(e.data().get("restartInMillis"))).toArray();
    assertTrue(delays[0] >= 100 && delays[0] <= 120, "first delay " + delays[0]);
    assertTrue(delays[1] >= 200 && delays[1] <= 240, "second delay " + delays[1]);
    assertTrue(delays[2] >= 400 && delays[2] <= 480, "third delay " + delays[2]);
    crashes.forEach(e -> assertEquals("3", e.data().get("exitCode")));

    SystemEvent gaveUp = crashes.get(3);
    assertEquals("true", gaveUp.data().get("givenUp"));
    assertTrue(gaveUp.detail().contains("given up"), gaveUp.detail());
    assertTrue(gaveUp.detail().contains("4 crashes within"), gaveUp.detail());
    assertTrue(gaveUp.detail().contains("max-restarts = 3"), gaveUp.detail());

    RendererInfo givenUp = info(supervisor, "renderer-1");
    assertEquals(RendererSupervisor.GIVEN_UP, givenUp.status());
    assertNull(givenUp.pid());
    assertEquals(3, givenUp.restarts());
    // No further launch once given up.
    events.expectNoMessage(Duration.ofMillis(800));
    assertEquals(4, launchRecords("renderer-1").size());

    RendererInfo other = info(supervisor, "renderer-2");
    assertEquals(otherPid, other.pid());
    assertEquals(RendererSupervisor.STARTING, other.status());
    assertTrue(ProcessHandle.of(otherPid).map(ProcessHandle::isAlive).orElse(false));

    // An explicit restart gives a given-up renderer a new chance.
    Files.delete(dir.resolve("renderer-1.exit"));
    assertTrue(restart(supervisor, "renderer-1").isSuccess());
    RendererInfo back = info(supervisor, "renderer-1");
    assertEquals(RendererSupervisor.STARTING, back.status());
    assertEquals(4, back.restarts());
    assertNotNull(back.pid());
  }

  @Test
  void shouldComputeBackoffDoublingCappedWithJitter() {
    Settings settings = settings(0, "backoff { min = 200ms, max = 10s, random-factor = 0.2 }");
    assertEquals(Duration.ofMillis(200), RendererSupervisor.backoff(settings, 0, 0.0));
    assertEquals(Duration.ofMillis(400), RendererSupervisor.backoff(settings, 1, 0.0));
    assertEquals(Duration.ofMillis(6400), RendererSupervisor.backoff(settings, 5, 0.0));
    assertEquals(Duration.ofSeconds(10), RendererSupervisor.backoff(settings, 6, 0.0));
    assertEquals(Duration.ofSeconds(10), RendererSupervisor.backoff(settings, 500, 0.0));
    assertEquals(Duration.ofMillis(240), RendererSupervisor.backoff(settings, 0, 1.0));
    Duration jittered = RendererSupervisor.backoff(settings, 2, 0.5);
    assertEquals(Duration.ofMillis(880), jittered);
  }

  @Test
  void shouldRestartOnRequestWithoutCountingACrash() {
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(2, ""), events);
    List<RendererInfo> before = awaitAllRunning(supervisor, 2);
    long oldPid = before.get(1).pid();

    StatusReply<Done> reply = restart(supervisor, "renderer-2");

    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    RendererInfo after = info(supervisor, "renderer-2");
    assertNotEquals(oldPid, after.pid());
    assertEquals(1, after.restarts());
    assertEquals(RendererSupervisor.STARTING, after.status());
    assertFalse(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false));
    assertEquals(before.get(0).pid(), info(supervisor, "renderer-1").pid());
    // The reply comes after the old process's exit was handled: a crash would already be published.
    events.expectNoMessage(Duration.ofMillis(300));

    StatusReply<Done> unknown = restart(supervisor, "renderer-7");
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(IpcException.class, unknown.getError()).code());
  }

  @Test
  void shouldKillEveryChildWhenTheActorSystemStops() {
    ActorTestKit ownKit = ActorTestKit.create("supervisor-stop");
    List<Long> pids;
    try {
      TestProbe<SystemEvent> events = ownKit.createTestProbe(SystemEvent.class);
      ActorRef<Command> supervisor = ownKit.spawn(RendererSupervisor.create(settings(2, ""), events.ref()));
      TestProbe<RendererList> replies = ownKit.createTestProbe(RendererList.class);
      pids = replies.awaitAssert(WAIT, Duration.ofMillis(100), () -> {
        supervisor.tell(new ListRenderers(replies.ref()));
        List<Long> running = replies.receiveMessage(WAIT).renderers().stream()
            .map(RendererInfo::pid).filter(java.util.Objects::nonNull).toList();
        assertEquals(2, running.size());
        return running;
      });
      seenPids.addAll(pids);
      pids.forEach(pid -> assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
    } finally {
      ownKit.shutdownTestKit();
    }
    for (long pid : pids) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " outlived main");
    }
    Set<Long> children = ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
    pids.forEach(pid -> assertFalse(children.contains(pid)));
  }

  @Test
  void shouldStopEveryChildAndItselfOnShutdown() {
    ActorRef<Command> supervisor = spawn(settings(2, ""), testKit.createTestProbe(SystemEvent.class));
    List<Long> pids = awaitAllRunning(supervisor, 2).stream().map(RendererInfo::pid).toList();
    TestProbe<Object> watcher = testKit.createTestProbe();

    supervisor.tell(RendererSupervisor.Shutdown.INSTANCE);

    watcher.expectTerminated(supervisor, WAIT);
    for (long pid : pids) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " outlived main");
    }
  }

  @Test
  void shouldReadSettingsFromConfigWithDefaults() {
    Config config = ConfigFactory.parseString("browseros.data-dir = \"./var\"")
        .withFallback(ConfigFactory.parseResources("browseros-renderers.conf"))
        .resolve();
    Settings settings = Settings.fromConfig(config);
    assertEquals(2, settings.count());
    assertEquals(List.of("shell", "web"), settings.capabilities());
    assertEquals("default", settings.profile());
    assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), settings.java());
    assertEquals(System.getProperty("java.class.path"), settings.classpath());
    assertEquals("org.browseros.ipc.renderer.RendererMain", settings.mainClass());
    assertTrue(settings.jvmOptions().stream().anyMatch(o -> o.startsWith("-Xmx")));
    assertEquals(Path.of("./var"), settings.dataDir());
    assertEquals(Path.of("./var/logs"), settings.logDir());
    assertEquals(Duration.ofMillis(200), settings.backoffMin());
    assertEquals(Duration.ofSeconds(10), settings.backoffMax());
    assertEquals(0.2, settings.backoffRandomFactor());
    assertEquals(5, settings.maxRestarts());
    assertEquals(Duration.ofSeconds(60), settings.restartWindow());
    assertEquals(System.getProperty("config.file"), settings.configFile());
    assertFalse(settings.spare(), "a spare renderer is the deployment's choice (application.conf)");
    assertEquals(Duration.ofSeconds(2), settings.spareDelay());
    assertNull(settings.gateway());
    assertEquals(GATEWAY, settings.withGateway(GATEWAY).gateway());

    assertThrows(IllegalArgumentException.class, () -> Settings.fromConfig(
        ConfigFactory.parseString("browseros.renderers.count = -1").withFallback(config)));
  }

  @Test
  void shouldPersistRunningRenderersOwnerOnlyAndRotateTheSecretOnEachAdmission() throws IOException {
    ActorRef<Command> supervisor = spawn(settings(1, ""), testKit.createTestProbe(SystemEvent.class));
    RendererInfo info = awaitAllRunning(supervisor, 1).get(0);
    Path file = dir.resolve(RendererSupervisor.RENDERERS_FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    JsonNode persisted = PayloadCodec.parseJson(Files.readString(file)).get("renderers").get(0);
    assertEquals("renderer-1", persisted.get("id").asText());
    assertEquals((long) info.pid(), persisted.get("pid").asLong());
    String launchSecret = launchRecord("renderer-1", info.pid()).getProperty("secret");
    assertFalse(Files.readString(file).contains(launchSecret), "only a hash of the secret is kept");

    StatusReply<org.browseros.ipc.main.gateway.Admission.Admitted> first = admit(supervisor, "renderer-1", launchSecret);
    String token = first.getValue().resumeToken();
    assertTrue(token.matches(SECRET_SHAPE));
    assertEquals(hash(token), PayloadCodec.parseJson(Files.readString(file)).get("renderers").get(0)
        .get("secretHash").asText());
    assertRefused(authenticate(supervisor, "renderer-1", launchSecret));
    String next = admit(supervisor, "renderer-1", token).getValue().resumeToken();
    assertNotEquals(token, next);
    assertRefused(authenticate(supervisor, "renderer-1", token));

    testKit.stop(supervisor);
    supervisors.remove(supervisor);
    assertEquals(0, PayloadCodec.parseJson(Files.readString(file)).get("renderers").size(),
        "a graceful stop leaves nothing to adopt");
  }

  @Test
  void shouldAdoptALiveRendererOfAPreviousMainAndAcceptItsResumeToken() throws Exception {
    Process orphan = orphan();
    writeRenderersFile(orphan.toHandle(), "shell", hash("resume-token"));
    TestProbe<SystemEvent> events = testKit.createTestProbe(SystemEvent.class);
    ActorRef<Command> supervisor = spawn(settings(1, "adopt-timeout = 20s"), events);

    RendererInfo adopted = info(supervisor, "renderer-1");
    assertEquals(orphan.pid(), (long) adopted.pid(), "adopted, not launched afresh");
    assertEquals(List.of(), launchRecords("renderer-1"));
    assertRefused(authenticate(supervisor, "renderer-1", "not-the-token"));
    assertTrue(authenticate(supervisor, "renderer-1", "resume-token").isSuccess());
    supervisor.tell(new Connected("renderer-1"));
    expectEvent(events, SystemEvent.RENDERER_JOINED, "renderer-1");
    assertEquals(RendererSupervisor.CONNECTED, info(supervisor, "renderer-1").status());

    // Stopping main stops adopted renderers too, although they are not its children.
    testKit.stop(supervisor);
    supervisors.remove(supervisor);
    assertTrue(orphan.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the adopted renderer was stopped");
  }

  @Test
  void shouldReplaceAnAdoptedRendererThatDoesNotReconnectInTime() throws Exception {
    Process orphan = orphan();
    writeRenderersFile(orphan.toHandle(), "shell", hash("resume-token"));
    ActorRef<Command> supervisor = spawn(settings(1, "adopt-timeout = 1s"), testKit.createTestProbe(SystemEvent.class));
    assertEquals(orphan.pid(), (long) info(supervisor, "renderer-1").pid());

    assertTrue(orphan.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "killed after adopt-timeout");
    RendererInfo fresh = awaitInfo(supervisor, "renderer-1", r -> r.pid() != null && r.pid() != orphan.pid());
    launchRecord("renderer-1", fresh.pid());
  }

  @Test
  void shouldNotAdoptAProcessWhosePidWasReused() throws Exception {
    Process other = orphan();
    // Same pid, another start time: not the renderer the previous main launched.
    writeRenderersFile(other.pid(), 12345L, "shell", hash("resume-token"));
    ActorRef<Command> supervisor = spawn(settings(1, ""), testKit.createTestProbe(SystemEvent.class));
    RendererInfo launched = awaitAllRunning(supervisor, 1).get(0);
    assertNotEquals(other.pid(), (long) launched.pid());
    assertTrue(other.isAlive(), "a stranger's process is left alone");
    other.destroyForcibly();
  }

  // --- helpers ---

  /** A stand-in for a renderer a previous main left running. */
  private Process orphan() throws IOException {
    Process process = new ProcessBuilder("sleep", "120").start();
    seenPids.add(process.pid());
    return process;
  }

  private void writeRenderersFile(ProcessHandle process, String capability, String secretHash) throws IOException {
    writeRenderersFile(process.pid(), process.info().startInstant().orElseThrow().toEpochMilli(), capability, secretHash);
  }

  private void writeRenderersFile(long pid, long startedMillis, String capability, String secretHash) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(RendererSupervisor.RENDERERS_FILE), "{\"renderers\":[{\"id\":\"renderer-1\",\"pid\":"
        + pid + ",\"startedMillis\":" + startedMillis + ",\"capability\":\"" + capability
        + "\",\"profile\":\"default\",\"secretHash\":\"" + secretHash + "\"}]}");
  }

  private static String hash(String secret) {
    try {
      return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
          java.security.MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private StatusReply<org.browseros.ipc.main.gateway.Admission.Admitted> admit(
      ActorRef<Command> supervisor, String rendererId, String secret) {
    TestProbe<StatusReply<org.browseros.ipc.main.gateway.Admission.Admitted>> probe = testKit.createTestProbe();
    supervisor.tell(new RendererSupervisor.Admit(rendererId, secret, probe.ref()));
    StatusReply<org.browseros.ipc.main.gateway.Admission.Admitted> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply;
  }

  private Settings settings(int count, String extra) {
    String quotedDir = ConfigUtil.quoteString(dir.toString());
    Config config = ConfigFactory.parseString(
            "browseros.data-dir = " + quotedDir + "\n"
                + "browseros.renderers {\n"
                + "  count = " + count + "\n"
                + "  main-class = " + ConfigUtil.quoteString(SleepingRendererMain.class.getName()) + "\n"
                + "  jvm-options = [\"-Xmx32m\", \"-XX:+UseSerialGC\", \"-XX:TieredStopAtLevel=1\", "
                + ConfigUtil.quoteString("-Dsleeping.dir=" + dir) + "]\n"
                + "  stop-timeout = 1s\n"
                + "  " + extra + "\n"
                + "}")
        .withFallback(ConfigFactory.parseResources("browseros-renderers.conf"))
        .resolve();
    return Settings.fromConfig(config).withGateway(GATEWAY);
  }

  private ActorRef<Command> spawn(Settings settings, TestProbe<SystemEvent> events) {
    ActorRef<Command> supervisor = testKit.spawn(RendererSupervisor.create(settings, events.ref()));
    supervisors.add(supervisor);
    return supervisor;
  }

  private List<RendererInfo> list(ActorRef<Command> supervisor) {
    TestProbe<RendererList> probe = testKit.createTestProbe(RendererList.class);
    supervisor.tell(new ListRenderers(probe.ref()));
    List<RendererInfo> renderers = probe.receiveMessage(WAIT).renderers();
    renderers.stream().map(RendererInfo::pid).filter(java.util.Objects::nonNull).forEach(seenPids::add);
    return renderers;
  }

  private RendererInfo info(ActorRef<Command> supervisor, String rendererId) {
    return list(supervisor).stream().filter(r -> r.rendererId().equals(rendererId)).findFirst().orElseThrow();
  }

  private RendererInfo awaitInfo(ActorRef<Command> supervisor, String rendererId, Predicate<RendererInfo> ready) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      RendererInfo info = info(supervisor, rendererId);
      assertTrue(ready.test(info), () -> "not yet: " + info);
      return info;
    });
  }

  /** Waits until all renderers run and have recorded their launch, so that their JVMs are up. */
  private List<RendererInfo> awaitAllRunning(ActorRef<Command> supervisor, int count) {
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      List<RendererInfo> renderers = list(supervisor);
      assertEquals(count, renderers.size());
      for (RendererInfo info : renderers) {
        assertNotNull(info.pid(), info::toString);
        assertTrue(Files.exists(recordFile(info.rendererId(), info.pid())), info::toString);
      }
      return renderers;
    });
  }

  /**
   * The whole command line: /proc where there is one, as ProcessHandle.Info truncates long ones
   * (the classpath alone is longer than its limit).
   */
  private static String commandLine(long pid) throws IOException {
    Path proc = Path.of("/proc", String.valueOf(pid), "cmdline");
    if (Files.exists(proc)) {
      return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ').trim();
    }
    return ProcessHandle.of(pid).orElseThrow().info().commandLine().orElseThrow();
  }

  private Path recordFile(String rendererId, long pid) {
    return dir.resolve(rendererId + "-" + pid + ".properties");
  }

  private Properties launchRecord(String rendererId, long pid) {
    Path file = recordFile(rendererId, pid);
    return testKit.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(50), () -> {
      Properties properties = new Properties();
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(in);
      }
      return properties;
    });
  }

  private List<Path> launchRecords(String rendererId) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith(rendererId + "-")
          && f.getFileName().toString().endsWith(".properties")).toList();
    }
  }

  private StatusReply<Caller> authenticate(ActorRef<Command> supervisor, String rendererId, String secret) {
    TestProbe<StatusReply<Caller>> probe = testKit.createTestProbe();
    supervisor.tell(new Authenticate(rendererId, secret, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private StatusReply<Done> restart(ActorRef<Command> supervisor, String rendererId) {
    TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
    supervisor.tell(new Restart(rendererId, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static void assertRefused(StatusReply<Caller> reply) {
    assertTrue(reply.isError(), () -> "accepted: " + reply.getValue());
    assertEquals(ErrorCode.PERMISSION, assertInstanceOf(IpcException.class, reply.getError()).code());
  }

  private static SystemEvent expectEvent(TestProbe<SystemEvent> events, String kind, String rendererId) {
    List<SystemEvent> fished = events.fishForMessage(WAIT, "a " + kind + " of " + rendererId,
        e -> e.kind().equals(kind) && rendererId.equals(e.rendererId())
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore());
    return fished.get(fished.size() - 1);
  }
}
