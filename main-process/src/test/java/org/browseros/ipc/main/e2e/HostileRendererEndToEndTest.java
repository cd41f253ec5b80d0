package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Kill;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterUserAction;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.renderers.SleepingRendererMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;
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
 * Plays a compromised renderer against a real main process (mutual TLS, stock capabilities). Two
 * renderer slots with the {@code web} capability are launched as {@link SleepingRendererMain}
 * processes, which record their one-time secrets; the test connects as renderer-2 honestly (with
 * {@link IpcRenderer}) and as renderer-1 with a raw actor system that sends whatever it likes.
 * After every attack main must still answer and renderer-2's tab must be unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HostileRendererEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  static Path dataDir;
  @TempDir
  static Path sleepingDir;

  private MainFixture fixture;
  private IpcRenderer honest;
  private TabInfo honestTab;
  private final BlockingQueue<SystemEvent> honestEvents = new LinkedBlockingQueue<>();
  private final List<ActorTestKit> kits = new ArrayList<>();
  private Hostile hostile;
  private String hostileSecret;

  @BeforeAll
  void startMainAndConnect() throws Exception {
    Map<String, Object> extra = new HashMap<>();
    extra.put("browseros.renderers.count", 2);
    extra.put("browseros.renderers.capabilities", List.of("web"));
    extra.put("browseros.renderers.main-class", SleepingRendererMain.class.getName());
    extra.put("browseros.renderers.classpath", System.getProperty("java.class.path"));
    extra.put("browseros.renderers.jvm-options", List.of("-Xmx64m", "-Dsleeping.dir=" + sleepingDir));
    extra.put("browseros.gateway.missed-heartbeats", 120);
    extra.put("browseros.security.bad-message.max-violations", 40);
    extra.put("browseros.security.bad-message.violation-window", "60s");
    fixture = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)), extra);

    Properties second = awaitLaunch("renderer-2", -1);
    ActorTestKit honestKit = kit("honest");
    honest = MainFixture.await(IpcRenderer.connect(honestKit.system(),
        ConnectOptions.of(honestKit.system(), fixture.node().gatewayPath(), "renderer-2", second.getProperty("secret"))));
    honest.on(Channels.SYSTEM_EVENT, honestEvents::add);
    WindowInfo window = MainFixture.await(honest.invoke(Channels.WINDOW_CREATE, new WindowCreate("Mine", null)));
    honestTab = MainFixture.await(honest.invoke(Channels.TAB_CREATE,
        new TabCreate(window.windowId(), "https://honest.example/", true)));

    Properties first = awaitLaunch("renderer-1", -1);
    hostileSecret = first.getProperty("secret");
    hostile = Hostile.connect(kit("hostile"), fixture.node().gatewayPath(), "renderer-1", hostileSecret);
    assertEquals("web", hostile.welcome.capability());
  }

  @AfterAll
  void stop() {
    if (honest != null) {
      honest.close();
    }
    // Bounded, and not failing the suite: a client system whose peer went away may stop slowly.
    kits.forEach(kit -> ActorTestKit.shutdown(kit.system(), Duration.ofSeconds(15), false));
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  @Order(1)
  void shouldRefuseReplayedAndWrongLaunchSecrets() {
    Refused replayed = Hostile.refused(kit("replay"), fixture.node().gatewayPath(), "renderer-1", hostileSecret);
    assertEquals(ErrorCode.PERMISSION, replayed.error().code());
    Refused wrong = Hostile.refused(kit("wrong"), fixture.node().gatewayPath(), "renderer-2", "not-the-secret");
    assertEquals(ErrorCode.PERMISSION, wrong.error().code());
    Refused forgedConsole = Hostile.refused(kit("console"), fixture.node().gatewayPath(), null, hostileSecret);
    assertEquals(ErrorCode.PERMISSION, forgedConsole.error().code());
    assertMainIntact();
  }

  @Test
  @Order(2)
  void shouldDenyChannelsTheCapabilityDoesNotGrant() throws Exception {
    for (String channel : List.of("renderers:list", "settings:update", "evil:anything")) {
      IpcError error = hostile.invokeError(channel, PayloadCodec.encode(PayloadCodec.parseJson("{\"key\":\"theme\",\"value\":\"dark\"}")));
      assertEquals(ErrorCode.PERMISSION, error.code(), channel);
    }
    assertMainIntact();
  }

  @Test
  @Order(3)
  void shouldRejectMalformedPayloadsNamingTheField() throws Exception {
    assertEquals(ErrorCode.VALIDATION, hostile.invokeError("navigate",
        json("{\"tabId\":\"t1\",\"url\":\"https://a.example/\",\"admin\":true}")).code());
    assertEquals(ErrorCode.VALIDATION, hostile.invokeError("navigate", json("{\"tabId\":5,\"url\":\"https://a.example/\"}")).code());
    IpcError missing = hostile.invokeError("navigate", json("{\"url\":\"https://a.example/\"}"));
    assertEquals(ErrorCode.VALIDATION, missing.code());
    assertTrue(missing.message().contains("tabId"), missing.message());
    IpcError badId = hostile.invokeError("tab:delete", json("{\"tabId\":\"../../etc\"}"));
    assertTrue(badId.message().contains("tabId"), badId.message());
    assertEquals(ErrorCode.TOO_LARGE, hostile.invokeError("navigate",
        PayloadCodec.encode(new Navigate("t1", "https://a.example/" + "a".repeat(20_000)))).code());
    assertEquals(ErrorCode.VALIDATION, hostile.invokeError("tab:update", deeplyNested(1500)).code());
    assertEquals(ErrorCode.VALIDATION, hostile.invokeError("tab:update", gzipBomb()).code());
    assertMainIntact();
  }

  @Test
  @Order(4)
  void shouldRefuseDangerousUrlsAndStripBidiFromTitles() throws Exception {
    WindowInfo window = PayloadCodec.decode(hostile.invokeOk("window:create",
        PayloadCodec.encode(new WindowCreate("Invoice\u202Efdp.exe\u0007\u2066", null))).payload(), WindowInfo.class);
    assertEquals("Invoicefdp.exe", window.title());
    for (String url : List.of("javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd", "https://u:p@bank.example/")) {
      IpcError error = hostile.invokeError("tab:create", PayloadCodec.encode(new TabCreate(window.windowId(), url, true)));
      assertEquals(ErrorCode.VALIDATION, error.code(), url);
    }
    TabInfo own = PayloadCodec.decode(hostile.invokeOk("tab:create",
        PayloadCodec.encode(new TabCreate(window.windowId(), "https://own.example/", true))).payload(), TabInfo.class);
    assertEquals("https://own.example/", own.url());
    assertMainIntact();
  }

  @Test
  @Order(5)
  void shouldConfineARendererToItsOwnTabsAndWindows() throws Exception {
    String tab = honestTab.tabId();
    assertEquals(ErrorCode.PERMISSION, hostile.invokeError("navigate",
        PayloadCodec.encode(new Navigate(tab, "https://evil.example/"))).code());
    assertEquals(ErrorCode.PERMISSION, hostile.invokeError("tab:delete", json("{\"tabId\":\"" + tab + "\"}")).code());
    assertEquals(ErrorCode.PERMISSION, hostile.invokeError("tab:create",
        PayloadCodec.encode(new TabCreate(honestTab.windowId(), "https://evil.example/", true))).code());
    assertEquals(ErrorCode.PERMISSION, hostile.invokeError("window:close",
        json("{\"windowId\":\"" + honestTab.windowId() + "\"}")).code());
    assertMainIntact();
  }

  @Test
  @Order(6)
  void shouldRateLimitAFlood() throws Exception {
    List<Envelope> sent = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Envelope e = Envelope.command("power:state", new byte[0]);
      sent.add(e);
      hostile.connection.tell(e);
    }
    int limited = 0;
    for (int i = 0; i < sent.size(); i++) {
      Envelope reply = hostile.nextReply(WAIT);
      if (reply.type() == MessageType.ERROR
          && PayloadCodec.decode(reply.payload(), IpcError.class).code() == ErrorCode.RATE_LIMITED) {
        limited++;
      }
    }
    assertTrue(limited > 0, "a flood of 600 invokes was never rate limited");
    assertMainIntact();
  }

  @Test
  @Order(7)
  void shouldDropSystemMessagesAndSelectionsOutsideTheGateway() throws Exception {
    ActorTestKit kit = kit("selector");
    org.apache.pekko.actor.ActorSystem classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(kit.system());
    String edge = fixture.node().edgeSystem().address().toString();
    String edgeHostPort = edge.substring(edge.indexOf('@'));
    String core = fixture.node().coreSystem().address().toString();
    for (String path : List.of(
        edge + "/system/remote-watcher",
        edge + "/user/gateway/*",
        edge + "/user",
        "pekko://core" + edgeHostPort + "/system/cluster/core/daemon",
        core + "/system/cluster/core/daemon",
        core + "/user")) {
      ActorSelection selection = classic.actorSelection(path);
      selection.tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
      selection.tell(new org.apache.pekko.actor.Identify(path), org.apache.pekko.actor.ActorRef.noSender());
    }
    // Give Artery time to deliver (or drop) them, then check nothing happened.
    TestProbe<Object> idle = kit.createTestProbe();
    idle.expectNoMessage(Duration.ofSeconds(2));
    assertEquals(MemberStatus.up(), Cluster.get(fixture.node().coreSystem()).selfMember().status());
    assertMainIntact();
  }

  @Test
  @Order(8)
  void shouldDropAndCountDownLeaveKillAndWatchAimedPastTheGateway() throws Exception {
    // A compromised renderer chooses its own config: it turns remote DeathWatch on to send Watch.
    ActorTestKit kit = ActorTestKit.create("cluster-attacker", com.typesafe.config.ConfigFactory
        .parseString("pekko.remote.use-unsafe-remote-features-outside-cluster = on").withFallback(fixture.clientConfig()));
    kits.add(kit);
    org.apache.pekko.actor.ActorSystem classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(kit.system());
    ActorRefResolver resolver = ActorRefResolver.get(kit.system());
    String edge = fixture.node().edgeSystem().address().toString();
    String edgeHostPort = edge.substring(edge.indexOf('@'));
    String core = fixture.node().coreSystem().address().toString();
    Address coreAddress = fixture.node().coreSystem().address();
    List<Object> clusterActions = List.of(new ClusterUserAction.Down(coreAddress), new ClusterUserAction.Leave(coreAddress));
    List<String> clusterPaths = List.of("/system/cluster/core/daemon", "/system/cluster/core", "/system/cluster");
    Map<String, Long> before = fixture.node().monitor().transportDrops();

    for (String path : clusterPaths) {
      for (Object action : clusterActions) {
        // The edge is no cluster node: as selections they are dropped by untrusted mode...
        classic.actorSelection(edge + path).tell(action, org.apache.pekko.actor.ActorRef.noSender());
        // ...and sent straight to the path they find no actor.
        resolver.<Object>resolveActorRef(edge + path).tell(action);
      }
    }
    List<String> guessed = List.of("/user/gateway", "/user/gateway/connection-1", "/user", "/system/artery-drops");
    for (String path : guessed) {
      resolver.<Object>resolveActorRef(edge + path).tell(PoisonPill.getInstance());
      resolver.<Object>resolveActorRef(edge + path).tell(Kill.getInstance());
    }
    ActorRef<Object> gateway = resolver.resolveActorRef(fixture.node().gatewayPath());
    kit.spawn(Behaviors.setup(context -> {
      context.watch(gateway);
      return Behaviors.empty();
    }), "watcher");
    // The core's name at the edge port: Artery refuses the handshake. The core port: TLS refuses the edge key.
    classic.actorSelection("pekko://core" + edgeHostPort + "/system/cluster/core/daemon")
        .tell(clusterActions.get(0), org.apache.pekko.actor.ActorRef.noSender());
    classic.actorSelection(core + "/system/cluster/core/daemon").tell(clusterActions.get(0), org.apache.pekko.actor.ActorRef.noSender());
    resolver.<Object>resolveActorRef(core + "/system/cluster/core/daemon").tell(clusterActions.get(1));

    Map<String, Long> least = Map.of("selection", 6L, "unknown-recipient", 6L, "possibly-harmful", 8L,
        "system-message", 1L, "wrong-address", 1L);
    Map<String, Long> delta = Map.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline && !covers(delta, least)) {
      Thread.sleep(100);
      delta = minus(fixture.node().monitor().transportDrops(), before);
    }
    assertTrue(covers(delta, least), "dropped " + delta + ", expected at least " + least);
    // Where a user looks: the inspector's /api/stats, which scripts/ipc stats prints.
    String url = Files.readString(fixture.node().dataDir().resolve("inspector.url")).strip().replace("/?", "/api/stats?");
    java.net.http.HttpResponse<String> stats = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    var drops = PayloadCodec.parseJson(stats.body()).get("transportDrops");
    assertTrue(drops.get("selection").asLong() >= 6 && drops.get("system-message").asLong() >= 1, stats.body());

    // Still one core member, up and reachable; the gateway still admits (and refuses) renderers.
    var state = Cluster.get(fixture.node().coreSystem()).state();
    assertEquals(MemberStatus.up(), Cluster.get(fixture.node().coreSystem()).selfMember().status());
    assertEquals(1, java.util.stream.StreamSupport.stream(state.getMembers().spliterator(), false).count());
    assertTrue(state.getUnreachable().isEmpty());
    assertEquals(ErrorCode.PERMISSION,
        Hostile.refused(kit("after-kill"), fixture.node().gatewayPath(), "renderer-2", "not-the-secret").error().code());
    assertEquals(MessageType.COMMAND, hostile.invokeOk("power:state", new byte[0]).type());
    assertMainIntact();
  }

  private static boolean covers(Map<String, Long> counts, Map<String, Long> least) {
    return least.entrySet().stream().allMatch(e -> counts.getOrDefault(e.getKey(), 0L) >= e.getValue());
  }

  private static Map<String, Long> minus(Map<String, Long> now, Map<String, Long> before) {
    Map<String, Long> delta = new HashMap<>();
    now.forEach((kind, count) -> delta.put(kind, count - before.getOrDefault(kind, 0L)));
    return delta;
  }

  @Test
  @Order(9)
  void shouldNotLetAClientWithoutTheKeyHandshake() {
    ActorTestKit plain = ActorTestKit.create("plain", RendererConfig.load());
    kits.add(plain);
    TestProbe<ToRenderer> inbox = plain.createTestProbe(ToRenderer.class);
    ActorRef<ToGateway> gateway = ActorRefResolver.get(plain.system()).resolveActorRef(fixture.node().gatewayPath());
    gateway.tell(new Hello("renderer-1", "whatever", inbox.getRef(), Hello.PROTOCOL_VERSION));
    inbox.expectNoMessage(Duration.ofSeconds(3));
    assertMainIntact();
  }

  @Test
  @Order(10)
  void shouldTerminateARendererThatKeepsSendingBadMessages() throws Exception {
    long oldPid = Long.parseLong(awaitLaunch("renderer-1", -1).getProperty("pid"));
    honestEvents.clear();
    for (int i = 0; i < 60; i++) {
      hostile.connection.tell(Envelope.command("Not A Channel " + i, new byte[0]));
    }
    SystemEvent bad = null;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (bad == null && System.nanoTime() < deadline) {
      SystemEvent event = honestEvents.poll(1, TimeUnit.SECONDS);
      if (event != null && SystemEvent.RENDERER_BAD_MESSAGE.equals(event.kind())) {
        bad = event;
      }
    }
    assertNotNull(bad, "no renderer-bad-message event");
    assertEquals("renderer-1", bad.rendererId());
    Properties relaunched = awaitLaunch("renderer-1", oldPid);
    assertNotEquals(String.valueOf(oldPid), relaunched.getProperty("pid"));
    assertFalse(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false), "the bad renderer still runs");
    assertMainIntact();
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Main answers, and renderer-2's tab is as renderer-2 left it. */
  private void assertMainIntact() {
    try {
      TabInfo now = MainFixture.await(honest.invoke(Channels.TAB_UPDATE,
          new TabUpdate(honestTab.tabId(), null, null, null, null)));
      assertEquals(honestTab.url(), now.url());
      assertEquals(honestTab.windowId(), now.windowId());
    } catch (Exception e) {
      throw new AssertionError("main or renderer-2's state did not survive", e);
    }
  }

  private ActorTestKit kit(String name) {
    ActorTestKit kit = ActorTestKit.create(name, fixture.clientConfig());
    kits.add(kit);
    return kit;
  }

  /** The newest launch record of a renderer whose pid is not {@code notPid}. */
  private Properties awaitLaunch(String rendererId, long notPid) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      try (var files = Files.list(sleepingDir)) {
        Path newest = files.filter(p -> p.getFileName().toString().startsWith(rendererId + "-")
                && p.getFileName().toString().endsWith(".properties"))
            .max(Comparator.comparingLong(p -> p.toFile().lastModified())).orElse(null);
        if (newest != null) {
          Properties properties = new Properties();
          try (Reader in = Files.newBufferedReader(newest)) {
            properties.load(in);
          }
          if (!String.valueOf(notPid).equals(properties.getProperty("pid"))) {
            return properties;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("renderer " + rendererId + " was not (re)launched");
  }

  private static byte[] json(String text) {
    return PayloadCodec.encode(PayloadCodec.parseJson(text));
  }

  /** CBOR {@code {"tabId": [[[...]]]}} nested {@code depth} arrays deep (JSON helpers refuse to build it). */
  private static byte[] deeplyNested(int depth) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(0xA1);
    bytes.write(0x65);
    bytes.writeBytes("tabId".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (int i = 0; i < depth; i++) {
      bytes.write(0x81);
    }
    bytes.write(0x80);
    return bytes.toByteArray();
  }

  /** 8 MiB of zeros gzipped to a few KiB: must be refused, not inflated. */
  private static byte[] gzipBomb() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 8; i++) {
        gzip.write(zeros);
      }
    }
    assertTrue(bytes.size() < 8 * 1024, "bomb is " + bytes.size() + " bytes");
    return bytes.toByteArray();
  }

  /** A raw renderer: sends envelopes straight to its connection and reads what comes back. */
  private static final class Hostile {
    final TestProbe<ToRenderer> inbox;
    final Welcome welcome;
    final ActorRef<ToMain> connection;

    private Hostile(TestProbe<ToRenderer> inbox, Welcome welcome) {
      this.inbox = inbox;
      this.welcome = welcome;
      this.connection = welcome.connection();
    }

    static Hostile connect(ActorTestKit kit, String gatewayPath, String id, String secret) {
      TestProbe<ToRenderer> inbox = kit.createTestProbe(ToRenderer.class);
      hello(kit, gatewayPath, id, secret, inbox);
      ToRenderer first = inbox.receiveMessage(WAIT);
      return new Hostile(inbox, assertInstanceOf(Welcome.class, first));
    }

    static Refused refused(ActorTestKit kit, String gatewayPath, String id, String secret) {
      TestProbe<ToRenderer> inbox = kit.createTestProbe(ToRenderer.class);
      hello(kit, gatewayPath, id, secret, inbox);
      return assertInstanceOf(Refused.class, inbox.receiveMessage(WAIT));
    }

    private static void hello(ActorTestKit kit, String gatewayPath, String id, String secret, TestProbe<ToRenderer> inbox) {
      ActorRef<ToGateway> gateway = ActorRefResolver.get(kit.system()).resolveActorRef(gatewayPath);
      gateway.tell(new Hello(id, secret, inbox.getRef(), Hello.PROTOCOL_VERSION));
    }

    Envelope invoke(String channel, byte[] payload) {
      Envelope request = Envelope.command(channel, payload);
      connection.tell(request);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        Envelope reply = nextReply(WAIT);
        if (request.id().equals(reply.inReplyTo())) {
          return reply;
        }
      }
      throw new AssertionError("no reply to " + channel);
    }

    /** The next reply envelope, skipping pushes, state updates and acks. */
    Envelope nextReply(Duration wait) {
      long deadline = System.nanoTime() + wait.toNanos();
      while (System.nanoTime() < deadline) {
        ToRenderer message = inbox.receiveMessage(wait);
        if (message instanceof Envelope e && e.inReplyTo() != null) {
          return e;
        }
      }
      throw new AssertionError("no reply within " + wait);
    }

    IpcError invokeError(String channel, byte[] payload) {
      Envelope reply = invoke(channel, payload);
      assertEquals(MessageType.ERROR, reply.type(), () -> channel + " was accepted");
      return PayloadCodec.decode(reply.payload(), IpcError.class);
    }

    Envelope invokeOk(String channel, byte[] payload) {
      Envelope reply = invoke(channel, payload);
      assertEquals(MessageType.COMMAND, reply.type(),
          () -> channel + " failed: " + PayloadCodec.decode(reply.payload(), IpcError.class));
      return reply;
    }
  }
}
