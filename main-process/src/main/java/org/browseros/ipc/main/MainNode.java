package org.browseros.ipc.main;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.gateway.ConnectionRegistry;
import org.browseros.ipc.main.gateway.GatewaySettings;
import org.browseros.ipc.main.inspector.InspectorServer;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.IpcMonitor;
import org.browseros.ipc.main.monitor.StateWatcher;
import org.browseros.ipc.main.renderers.RendererSupervisor;
import org.browseros.ipc.main.renderers.SupervisorAdmission;
import org.browseros.ipc.main.security.ArteryDrops;
import org.browseros.ipc.main.security.TlsMaterial;
import org.browseros.ipc.protocol.TransportSecurity;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running main process: the core system (domain, renderer supervisor) and the edge system
 * (gateway, connections), wired together. {@link MainProcess} runs one from the command line;
 * tests run one in-process to reach {@link IpcMain}.
 */
public final class MainNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MainNode.class);

  private final Config config;
  private final ActorSystem<CoreGuardian.Command> core;
  private final ActorSystem<EdgeGuardian.Command> edge;
  private final IpcMain ipcMain;
  private final Admission admission;
  private final ConnectionRegistry connections;
  private final String gatewayPath;
  private final Path dataDir;
  private final IpcMonitor monitor;
  /** Started off the start thread once the renderers connected; completes with null when disabled or failed. */
  private final CompletableFuture<InspectorServer> inspector;
  private final AtomicBoolean closing;

  private MainNode(Config config, ActorSystem<CoreGuardian.Command> core, ActorSystem<EdgeGuardian.Command> edge,
      IpcMain ipcMain, Admission admission, ConnectionRegistry connections, String gatewayPath, Path dataDir,
      IpcMonitor monitor, CompletableFuture<InspectorServer> inspector, AtomicBoolean closing) {
    this.config = config;
    this.core = core;
    this.edge = edge;
    this.ipcMain = ipcMain;
    this.admission = admission;
    this.connections = connections;
    this.gatewayPath = gatewayPath;
    this.dataDir = dataDir;
    this.monitor = monitor;
    this.inspector = inspector;
    this.closing = closing;
  }

  /** Starts a main process with a fresh {@link IpcMain}. */
  public static MainNode start(Config config) throws Exception {
    GatewaySettings settings = GatewaySettings.fromConfig(config);
    return start(config, new IpcMain(settings.rendererInvokeTimeout()));
  }

  /**
   * Starts both actor systems, the domain, the gateway and the renderers. Handlers registered on
   * {@code ipcMain} before this call are in place before the first renderer connects.
   */
  public static MainNode start(Config config, IpcMain ipcMain) throws Exception {
    long t0 = System.nanoTime();
    ipcMain.configure(config);
    Path dataDir = Path.of(config.getString("browseros.data-dir"));
    createOwnerOnlyDirectory(dataDir);
    GatewaySettings settings = GatewaySettings.fromConfig(config);
    Duration startTimeout = Duration.ofSeconds(60);
    // A credential left by an earlier run names a dead gateway: consoles must not find it.
    Path credential = dataDir.resolve(RendererSupervisor.DEVTOOLS_CREDENTIAL_FILE);
    Files.deleteIfExists(credential);

    Config coreTransport = transportConfig(config, dataDir, TransportSecurity.CORE_PREFIX);
    Config edgeTransport = transportConfig(config, dataDir, "");
    long tKeys = System.nanoTime();
    ActorSystem<CoreGuardian.Command> core = ActorSystem.create(CoreGuardian.create(config), "core",
        coreTransport.withFallback(MainConfig.forSystem(config, "core")));
    long tCore = System.nanoTime();
    ActorSystem<EdgeGuardian.Command> edge = null;
    try {
      edge = ActorSystem.create(EdgeGuardian.create(), "edge", edgeTransport.withFallback(MainConfig.forSystem(config, "edge")));
      long tEdge = System.nanoTime();
      // Jackson builds the Hello and Welcome (de)serializers now, before the first renderer's Hello (start-up).
      org.browseros.ipc.protocol.SessionWarmUp.start(edge);
      String gatewayPath = edge.address() + "/user/gateway";
      if (config.getBoolean("browseros.gateway.data-plane.enabled")) {
        org.browseros.ipc.main.dataplane.DataPlaneServer.get(edge).start(dataDir,
            org.browseros.ipc.main.dataplane.DataPlaneServer.Settings.fromConfig(config));
      }
      CoreGuardian.Started started = AskPattern.<CoreGuardian.Command, CoreGuardian.Started>askWithStatus(core,
              replyTo -> new CoreGuardian.Start(gatewayPath, replyTo), startTimeout, core.scheduler())
          .toCompletableFuture().get(startTimeout.toSeconds(), TimeUnit.SECONDS);
      long tDomain = System.nanoTime();
      Admission admission = new SupervisorAdmission(started.supervisor(), core.scheduler(), settings.authenticationTimeout());
      IpcMonitor monitor = new IpcMonitor(config.getDuration("browseros.monitor.slow-threshold"));
      monitor.logChannels(config.getStringList("browseros.monitor.log-channels"));
      edge.systemActorOf(ArteryDrops.create(kind -> monitor.recordTransportDrop(kind.key())), "artery-drops",
          org.apache.pekko.actor.typed.Props.empty());
      ConnectionRegistry connections = AskPattern.<EdgeGuardian.Command, ConnectionRegistry>ask(edge,
              replyTo -> new EdgeGuardian.StartGateway(started.domain(), ipcMain, admission, settings, monitor, replyTo),
              startTimeout, edge.scheduler())
          .toCompletableFuture().get(startTimeout.toSeconds(), TimeUnit.SECONDS);
      awaitFile(credential, Duration.ofSeconds(10));
      CoordinatedShutdown.get(core).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
          "delete-devtools-credential", () -> {
            try {
              Files.deleteIfExists(credential);
            } catch (IOException e) {
              log.warn("Could not delete the devtools credential [{}]", credential, e);
            }
            return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
          });
      log.info("Gateway up at [{}]", gatewayPath);
      long tGateway = System.nanoTime();
      log.info("Start-up (ms): JVM start to MainNode.start {}, key material {}, core system {}, edge system {}, "
          + "core domain and renderer launch {}, gateway {}; CPU time of the JVM until then {}", sinceJvmStart(t0),
          millis(t0, tKeys), millis(tKeys, tCore), millis(tCore, tEdge), millis(tEdge, tDomain), millis(tDomain, tGateway),
          ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L));
      AtomicBoolean closing = new AtomicBoolean();
      CompletableFuture<InspectorServer> inspector = startInspector(config, edge, dataDir, monitor, admission,
          started.domain(), connections, closing);
      return new MainNode(config, core, edge, ipcMain, admission, connections, gatewayPath, dataDir, monitor, inspector,
          closing);
    } catch (Exception e) {
      if (edge != null) {
        edge.terminate();
      }
      core.terminate();
      throw e;
    }
  }

  /**
   * The state watcher, then the inspector on a thread of its own once the renderers launched at
   * start have connected (at most {@code browseros.inspector.await-renderers}): its start (pekko-http
   * and its TLS defaults, ~1.4 s of CPU on the 2-core VM) competed with the renderers' own start.
   * Completes with null when disabled or its port is taken (main runs on without it).
   */
  private static CompletableFuture<InspectorServer> startInspector(Config config, ActorSystem<EdgeGuardian.Command> edge,
      Path dataDir, IpcMonitor monitor, Admission admission, org.browseros.ipc.main.ipc.CoreApi core,
      ConnectionRegistry connections, AtomicBoolean closing) throws IOException {
    var state = StateWatcher.views(
        edge.systemActorOf(StateWatcher.create(core), "state-watcher", org.apache.pekko.actor.typed.Props.empty()),
        edge.scheduler());
    Files.deleteIfExists(dataDir.resolve(InspectorServer.URL_FILE));
    CompletableFuture<InspectorServer> started = new CompletableFuture<>();
    if (!config.getBoolean("browseros.inspector.enabled")) {
      started.complete(null);
      return started;
    }
    Duration awaitRenderers = config.getDuration("browseros.inspector.await-renderers");
    Thread thread = new Thread(() -> {
      try {
        if (!awaitRenderers.isZero()) {
          awaitConnected(admission, awaitRenderers, closing);
        }
        started.complete(closing.get() ? null : startInspectorNow(config, edge, dataDir, monitor, admission, core,
            connections, state));
      } catch (Throwable e) {
        started.complete(null);
      }
    }, "inspector-start");
    thread.setDaemon(true);
    thread.start();
    return started;
  }

  private static InspectorServer startInspectorNow(Config config, ActorSystem<EdgeGuardian.Command> edge, Path dataDir,
      IpcMonitor monitor, Admission admission, org.browseros.ipc.main.ipc.CoreApi core, ConnectionRegistry connections,
      java.util.function.Supplier<java.util.concurrent.CompletionStage<StateWatcher.View>> state) {
    try {
      Caller caller = new Caller("inspector", config.getString("browseros.renderers.profile"), RendererSupervisor.DEVTOOLS_CAPABILITY);
      InspectorServer inspector = InspectorServer.start(edge, config.getInt("browseros.inspector.port"), dataDir,
          new InspectorServer.Sources(monitor, admission, core, caller, state, connections));
      CoordinatedShutdown.get(edge).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "inspector-unbind", inspector::stop);
      log.info("IPC inspector at http://127.0.0.1:{}/ (token in [{}])", inspector.port(), dataDir.resolve(InspectorServer.URL_FILE));
      return inspector;
    } catch (Exception e) {
      log.warn("The IPC inspector could not start (port {}): main runs on without it", config.getInt("browseros.inspector.port"), e);
      return null;
    }
  }

  /** Mutual TLS on every remoting port, unless the unsafe dev flag browseros.security.plain-tcp is on. */
  private static com.typesafe.config.Config transportConfig(Config config, Path dataDir, String keyPrefix)
      throws Exception {
    if (config.getBoolean("browseros.security.plain-tcp")) {
      log.warn("browseros.security.plain-tcp = on: remoting is NOT encrypted or authenticated (development only)");
      return com.typesafe.config.ConfigFactory.empty();
    }
    return TransportSecurity.arteryConfig(TlsMaterial.ensure(dataDir), keyPrefix);
  }

  private static void awaitFile(Path file, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (!Files.exists(file)) {
      log.warn("The devtools credential [{}] was not written: consoles cannot attach", file);
    }
  }

  private static void createOwnerOnlyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        log.warn("Cannot restrict permissions of [{}] on this file system", dir);
      }
    }
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  /**
   * Milliseconds from this JVM's start to {@code nanos} (System.nanoTime). The JVM's own start time,
   * not the OS's process start instant: that one is boot time plus ticks, and a VM's boot time can be
   * off the wall clock by most of a second (0.55 s here), which this phase then showed as JVM start-up.
   */
  private static long sinceJvmStart(long nanos) {
    return System.currentTimeMillis() - (System.nanoTime() - nanos) / 1_000_000
        - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
  }

  /** Waits until every launched renderer has connected; false if {@code timeout} passed first. */
  public boolean awaitRenderersConnected(Duration timeout) throws InterruptedException {
    return awaitConnected(admission, timeout, closing);
  }

  private static boolean awaitConnected(Admission admission, Duration timeout, AtomicBoolean closing)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !closing.get()) {
      try {
        RendererList list = admission.renderers().toCompletableFuture().get(5, TimeUnit.SECONDS);
        boolean all = list.renderers().stream()
            .filter(r -> r.pid() != null && !RendererSupervisor.SPARE.equals(r.status()))
            .allMatch(r -> "connected".equals(r.status()));
        if (all) {
          return true;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.debug("Renderer list not available yet", e);
      }
      Thread.sleep(100);
    }
    return false;
  }

  public RendererList renderers() throws Exception {
    return admission.renderers().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public long connectedLaunchedRenderers() throws Exception {
    return renderers().renderers().stream().filter(r -> r.pid() != null).map(RendererInfo::status)
        .filter("connected"::equals).count();
  }

  public IpcMain ipcMain() {
    return ipcMain;
  }

  public ConnectionRegistry connections() {
    return connections;
  }

  public String gatewayPath() {
    return gatewayPath;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The IPC monitor every connection reports to: metrics, message logging, live watchers. */
  public IpcMonitor monitor() {
    return monitor;
  }

  /** The inspector, if it started; waits for its start (it starts once the renderers connected). */
  public java.util.Optional<InspectorServer> inspector() {
    try {
      return java.util.Optional.ofNullable(inspector.get(60, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return java.util.Optional.empty();
    }
  }

  public Config config() {
    return config;
  }

  public ActorSystem<CoreGuardian.Command> coreSystem() {
    return core;
  }

  public ActorSystem<EdgeGuardian.Command> edgeSystem() {
    return edge;
  }

  /** Stops the edge first (connections close), then the core (the supervisor stops every renderer). */
  @Override
  public void close() {
    closing.set(true);
    inspector().ifPresent(InspectorServer::close);
    edge.terminate();
    awaitTermination(edge);
    core.terminate();
    awaitTermination(core);
  }

  private static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Actor system [{}] did not terminate in time", system.name(), e);
    }
  }
}
