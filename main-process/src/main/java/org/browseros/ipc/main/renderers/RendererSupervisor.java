package org.browseros.ipc.main.renderers;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.Config;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.TransportSecurity;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * Launches the renderer JVMs and supervises them as OS processes: relaunches a crashed renderer
 * with exponential backoff, gives one up after too many crashes in a window, hands out the
 * one-time launch secrets and the devtools credential the gateway authenticates against, and makes
 * sure no renderer outlives main.
 */
public final class RendererSupervisor extends AbstractBehavior<RendererSupervisor.Command> {

  public static final String ENV_RENDERER_ID = "BROWSEROS_RENDERER_ID";
  public static final String ENV_LAUNCH_SECRET = "BROWSEROS_LAUNCH_SECRET";
  public static final String ENV_GATEWAY = "BROWSEROS_GATEWAY";
  public static final String ENV_PARENT_PID = "BROWSEROS_PARENT_PID";
  /** {@code 1} for a spare renderer, which reads its identity from stdin (renderer-process's RendererMain). */
  public static final String ENV_SPARE = "BROWSEROS_RENDERER_SPARE";
  /** The spare's entry in {@link ListRenderers}: its id and status. */
  public static final String SPARE = "spare";

  /**
   * The file, in the data dir, listing the running renderers (id, pid, process start, capability,
   * profile, hash of the current secret) so that a restarted main can adopt them.
   */
  public static final String RENDERERS_FILE = "renderers.json";
  /** The file, in the data dir, that holds the devtools credential for consoles. */
  public static final String DEVTOOLS_CREDENTIAL_FILE = "devtools.credential";
  /** In a renderer JVM option, replaced by the renderer's id at launch. */
  static final String RENDERER_ID_PLACEHOLDER = "{rendererId}";
  /** The capability of a console that authenticated with the devtools credential. */
  public static final String DEVTOOLS_CAPABILITY = "devtools";
  /** The {@link Disconnected} reason after which a still-running renderer is killed. */
  public static final String HEARTBEAT_TIMEOUT = org.browseros.ipc.main.gateway.Admission.HEARTBEAT_TIMEOUT;

  public static final String STARTING = "starting";
  public static final String CONNECTED = "connected";
  public static final String CRASHED = "crashed";
  public static final String RESTARTING = "restarting";
  public static final String STOPPED = "stopped";
  public static final String GIVEN_UP = "given-up";
  public static final String ATTACHED = "attached";

  public interface Command {}

  /**
   * A client's secret, presented at handshake. {@code rendererId == null} means a console, which
   * must present the devtools credential.
   */
  public record Authenticate(String rendererId, String secret, ActorRef<StatusReply<Caller>> replyTo)
      implements Command {}

  /**
   * Like {@link Authenticate}, and a renderer admitted gets a fresh single-use resume token, which
   * from then on is its only valid secret (the one it presents after a lost connection or to a
   * restarted main).
   */
  public record Admit(String rendererId, String secret, ActorRef<StatusReply<Admission.Admitted>> replyTo)
      implements Command {}

  /** The gateway tells that a renderer (or console) finished the handshake. */
  public record Connected(String rendererId) implements Command {}

  /** The gateway tells that a connection closed: goodbye, {@link #HEARTBEAT_TIMEOUT}, error, ... */
  public record Disconnected(String rendererId, String reason) implements Command {}

  public record ListRenderers(ActorRef<RendererList> replyTo) implements Command {}

  /**
   * The gateway closed a renderer's connection for bad messages (Chromium's ReportBadMessage): a
   * launched renderer is killed at once, and its exit counts as a crash (backoff, max-restarts).
   */
  public record BadMessage(String rendererId, String reason) implements Command {}

  /** Kills a launched renderer and launches it again; replies once the new process runs. */
  public record Restart(String rendererId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Stops every renderer (bounded) and then the supervisor. */
  public enum Shutdown implements Command {
    INSTANCE
  }

  private record ProcessExited(String rendererId, long generation, long pid, int exitCode)
      implements Command {}

  private record LaunchDue(String rendererId) implements Command {}

  private record KillDue(String rendererId, long generation) implements Command {}

  private record AdoptionDue(String rendererId, long generation) implements Command {}

  private enum SpareDue implements Command {
    INSTANCE
  }

  private record SpareExited(long seq, long pid, int exitCode) implements Command {}

  /**
   * What the supervisor launches and how it reacts to crashes; {@code browseros.renderers.*} and
   * {@code browseros.data-dir}.
   *
   * @param gateway where renderers connect, known only at runtime: see {@link #withGateway}
   * @param configFile passed on as {@code -Dconfig.file}, or null
   * @param tlsDir the TLS key material renderers use ({@code <data-dir>/tls}), or null with plain TCP
   */
  public record Settings(
      int count,
      List<String> capabilities,
      String profile,
      String java,
      String classpath,
      String mainClass,
      List<String> jvmOptions,
      String gateway,
      Path dataDir,
      Path logDir,
      Duration backoffMin,
      Duration backoffMax,
      double backoffRandomFactor,
      int maxRestarts,
      Duration restartWindow,
      Duration stopTimeout,
      String configFile,
      Path tlsDir,
      Duration adoptTimeout,
      boolean spare,
      Duration spareDelay) {

    public Settings {
      if (count < 0) {
        throw new IllegalArgumentException("browseros.renderers.count must be >= 0, was " + count);
      }
      capabilities = List.copyOf(capabilities);
      if (count > 0 && capabilities.isEmpty()) {
        throw new IllegalArgumentException("browseros.renderers.capabilities must not be empty");
      }
      jvmOptions = List.copyOf(jvmOptions);
      Objects.requireNonNull(profile, "profile");
      Objects.requireNonNull(java, "java");
      Objects.requireNonNull(classpath, "classpath");
      Objects.requireNonNull(mainClass, "mainClass");
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(logDir, "logDir");
      if (backoffMin.isNegative() || backoffMax.compareTo(backoffMin) < 0) {
        throw new IllegalArgumentException("browseros.renderers.backoff needs 0 <= min <= max");
      }
      if (backoffRandomFactor < 0) {
        throw new IllegalArgumentException("browseros.renderers.backoff.random-factor must be >= 0");
      }
      if (maxRestarts < 0) {
        throw new IllegalArgumentException("browseros.renderers.max-restarts must be >= 0");
      }
      if (spareDelay == null || spareDelay.isNegative()) {
        throw new IllegalArgumentException("browseros.renderers.spare.delay must be >= 0");
      }
    }

    /**
     * Reads {@code browseros.renderers} and {@code browseros.data-dir} from a resolved config. An
     * empty java or classpath means this JVM's own; the config file is this JVM's
     * {@code config.file} system property, if set. The gateway is left null.
     */
    public static Settings fromConfig(Config config) {
      Config c = config.getConfig("browseros.renderers");
      String java = c.getString("java");
      List<String> jvmOptions = c.getStringList("jvm-options");
      if (java.isBlank()) {
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        jvmOptions = forRuntime(jvmOptions, Runtime.version().feature());
      }
      jvmOptions = withClassDataSharing(jvmOptions, c.hasPath("cds-dir") ? c.getString("cds-dir") : "",
          c.hasPath("aot-cache") && c.getBoolean("aot-cache"));
      Duration stopTimeout = c.getDuration("stop-timeout");
      if (jvmOptions.contains(AOT_RECORD) && stopTimeout.compareTo(AOT_RECORD_STOP_TIMEOUT) < 0) {
        // A recording renderer writes its AOT configuration (~60 MB) at exit, after SIGTERM.
        stopTimeout = AOT_RECORD_STOP_TIMEOUT;
      }
      String classpath = c.getString("classpath");
      if (classpath.isBlank()) {
        classpath = System.getProperty("java.class.path");
      }
      return new Settings(
          c.getInt("count"),
          c.getStringList("capabilities"),
          c.getString("profile"),
          java,
          classpath,
          c.getString("main-class"),
          jvmOptions,
          null,
          Path.of(config.getString("browseros.data-dir")),
          Path.of(c.getString("log-dir")),
          c.getDuration("backoff.min"),
          c.getDuration("backoff.max"),
          c.getDouble("backoff.random-factor"),
          c.getInt("max-restarts"),
          c.getDuration("restart-window"),
          stopTimeout,
          System.getProperty("config.file"),
          config.hasPath("browseros.security.plain-tcp") && !config.getBoolean("browseros.security.plain-tcp")
              ? Path.of(config.getString("browseros.data-dir")).resolve(TransportSecurity.DIRECTORY) : null,
          c.hasPath("adopt-timeout") ? c.getDuration("adopt-timeout") : Duration.ofSeconds(20),
          c.hasPath("spare.enabled") && c.getBoolean("spare.enabled"),
          c.hasPath("spare.delay") ? c.getDuration("spare.delay") : Duration.ofSeconds(2));
    }

    static final String AOT_RECORD = "-XX:AOTMode=record";
    static final Duration AOT_RECORD_STOP_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Class Data Sharing for renderers (browseros.renderers.cds-dir, set by scripts/main-process):
     * with {@code renderer.jsa} there, renderers map it; without, each records the classes it loads
     * ({@code {rendererId}} is replaced at launch) for scripts/main-process to archive at the next start.
     * With {@code aotCache} (browseros.renderers.aot-cache, JDK 25+), the same with JDK 25's AOT
     * cache: {@code renderer.aot}, else a recorded AOT configuration per renderer.
     */
    static List<String> withClassDataSharing(List<String> jvmOptions, String cdsDir, boolean aotCache) {
      if (cdsDir.isBlank()) {
        return jvmOptions;
      }
      List<String> options = new ArrayList<>(jvmOptions);
      if (aotCache) {
        Path cache = Path.of(cdsDir, "renderer.aot");
        if (Files.isRegularFile(cache)) {
          options.add("-XX:AOTCache=" + cache);
        } else {
          options.add(AOT_RECORD);
          options.add("-XX:AOTConfiguration=" + Path.of(cdsDir, "renderer-" + RENDERER_ID_PLACEHOLDER + ".aotconf"));
          // Recording warns about every class it cannot keep (into the renderer's log): errors only.
          options.add("-Xlog:aot*=error");
        }
        return List.copyOf(options);
      }
      Path archive = Path.of(cdsDir, "renderer.jsa");
      if (Files.isRegularFile(archive)) {
        // An archive that does not match the classpath is ignored with a warning (logged, not fatal).
        options.add("-XX:SharedArchiveFile=" + archive);
      } else {
        options.add("-XX:DumpLoadedClassList=" + Path.of(cdsDir, "renderer-" + RENDERER_ID_PLACEHOLDER + ".classlist"));
      }
      return List.copyOf(options);
    }

    /**
     * Renderers on main's own java: from JDK 23 on, the JVM warns once per JVM that Pekko uses
     * sun.misc.Unsafe's memory access (JEP 471/498), from JDK 24 on that lz4-java loads a native
     * library (JEP 472); the options allow both without the warnings (JDK 17 would refuse the first).
     */
    static List<String> forRuntime(List<String> jvmOptions, int feature) {
      List<String> options = new ArrayList<>(jvmOptions);
      if (feature >= 23 && jvmOptions.stream().noneMatch(o -> o.startsWith("--sun-misc-unsafe-memory-access"))) {
        options.add("--sun-misc-unsafe-memory-access=allow");
      }
      if (feature >= 24 && jvmOptions.stream().noneMatch(o -> o.startsWith("--enable-native-access"))) {
        // lz4-java loads its native library (JEP 472 warns from JDK 24 on).
        options.add("--enable-native-access=ALL-UNNAMED");
      }
      return List.copyOf(options);
    }

    public Settings withGateway(String gateway) {
      return new Settings(count, capabilities, profile, java, classpath, mainClass, jvmOptions,
          gateway, dataDir, logDir, backoffMin, backoffMax, backoffRandomFactor, maxRestarts,
          restartWindow, stopTimeout, configFile, tlsDir, adoptTimeout, spare, spareDelay);
    }
  }

  private enum ExitIntent {
    /** Any exit is a crash. */
    NONE,
    /** Main killed it to launch it again. */
    RELAUNCH,
    /** Main is stopping it for good. */
    STOP
  }

  /** One launched renderer slot; its process changes across relaunches. */
  private static final class Renderer {
    final String id;
    final String capability;
    String status = STARTING;
    int restarts;
    /** Bumped per launch, so that the exit of an older process is recognised as stale. */
    long generation;
    /** The generation whose process last connected: a disconnect before that is an older session's. */
    long connectedGeneration = -1;
    ProcessHandle process;
    /** When {@link #process} started, to tell it from a later process with a reused pid. */
    Long startedMillis;
    /** Hash of the one valid secret: the launch secret, then the latest resume token; null when none. */
    String secretHash;
    ExitIntent intent = ExitIntent.NONE;
    /** Crash times (nanoTime) within the restart window. */
    final Deque<Long> crashes = new ArrayDeque<>();
    final List<ActorRef<StatusReply<Done>>> restartWaiters = new ArrayList<>();

    Renderer(String id, String capability) {
      this.id = id;
      this.capability = capability;
    }
  }

  /** The spare renderer: a JVM launched ahead of need that gets its identity when a renderer is launched. */
  private record Spare(Process process, long seq, long launchedNanos) {}

  /** Consecutive spares that exited before they were needed: no more spares after this many. */
  static final int MAX_SPARE_FAILURES = 3;

  private static final SecureRandom RANDOM = new SecureRandom();

  public static Behavior<Command> create(Settings settings, ActorRef<SystemEvent> systemEvents) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(
            timers -> new RendererSupervisor(context, timers, settings, systemEvents)));
  }

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final ActorRef<SystemEvent> systemEvents;
  private final String devtoolsSecret = newSecret();
  private final Map<String, Renderer> renderers = new LinkedHashMap<>();
  private final Set<String> consoles = new LinkedHashSet<>();
  private int consoleSeq;
  private Spare spare;
  private long spareSeq;
  private int spareFailures;

  private RendererSupervisor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Settings settings,
      ActorRef<SystemEvent> systemEvents) {
    super(context);
    if (settings.gateway() == null || settings.gateway().isBlank()) {
      throw new IllegalArgumentException("RendererSupervisor needs the gateway: Settings.withGateway");
    }
    this.timers = timers;
    this.settings = settings;
    this.systemEvents = systemEvents;
    writeDevtoolsCredential();
    // Renderers of a previous main that died without stopping them are adopted, not duplicated.
    Map<String, Persisted> previous = readPersisted();
    for (int i = 0; i < settings.count(); i++) {
      String id = "renderer-" + (i + 1);
      Renderer renderer = new Renderer(id, settings.capabilities().get(i % settings.capabilities().size()));
      renderers.put(id, renderer);
      Persisted earlier = previous.remove(id);
      if (earlier == null || !adopt(renderer, earlier)) {
        launch(renderer);
      }
    }
    for (Persisted stray : previous.values()) {
      // More renderers than configured now: none may outlive main.
      liveProcess(stray).ifPresent(p -> {
        getContext().getLog().warn("Killing renderer [{}] pid [{}] of a previous main: not configured any more",
            stray.id(), p.pid());
        p.destroyForcibly();
      });
    }
    persist();
  }

  /** One line of {@link #RENDERERS_FILE}. */
  private record Persisted(String id, long pid, Long startedMillis, String capability, String profile, String secretHash) {}

  /**
   * Takes over a renderer a previous main launched, if it still runs (same pid and start time) with
   * the capability and profile this slot has now: it must present its resume token within
   * adopt-timeout, or it is killed and launched afresh.
   */
  private boolean adopt(Renderer renderer, Persisted earlier) {
    java.util.Optional<ProcessHandle> live = liveProcess(earlier);
    if (live.isEmpty()) {
      return false;
    }
    ProcessHandle process = live.get();
    if (!renderer.capability.equals(earlier.capability()) || !settings.profile().equals(earlier.profile())
        || earlier.secretHash() == null) {
      getContext().getLog().warn("Not adopting renderer [{}] pid [{}]: its capability or profile changed; killing it",
          renderer.id, process.pid());
      process.destroyForcibly();
      return false;
    }
    renderer.generation++;
    renderer.intent = ExitIntent.NONE;
    renderer.process = process;
    renderer.startedMillis = earlier.startedMillis();
    renderer.secretHash = earlier.secretHash();
    renderer.status = STARTING;
    long generation = renderer.generation;
    long pid = process.pid();
    // Not our child: no exit code; its exit counts as a crash like any other.
    getContext().pipeToSelf(process.onExit(), (exited, failure) -> new ProcessExited(renderer.id, generation, pid, -1));
    timers.startSingleTimer(adoptKey(renderer.id), new AdoptionDue(renderer.id, generation), settings.adoptTimeout());
    getContext().getLog().info("Adopted renderer [{}] pid [{}] from a previous main; awaiting its reconnect",
        renderer.id, pid);
    return true;
  }

  private static java.util.Optional<ProcessHandle> liveProcess(Persisted earlier) {
    return ProcessHandle.of(earlier.pid())
        .filter(ProcessHandle::isAlive)
        .filter(p -> earlier.startedMillis() != null && earlier.startedMillis().equals(startedMillis(p)));
  }

  private static Long startedMillis(ProcessHandle process) {
    return process.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(null);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Authenticate.class, this::onAuthenticate)
        .onMessage(Admit.class, this::onAdmit)
        .onMessage(Connected.class, this::onConnected)
        .onMessage(Disconnected.class, this::onDisconnected)
        .onMessage(ListRenderers.class, this::onListRenderers)
        .onMessage(BadMessage.class, this::onBadMessage)
        .onMessage(Restart.class, this::onRestart)
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessage(LaunchDue.class, this::onLaunchDue)
        .onMessage(KillDue.class, this::onKillDue)
        .onMessage(AdoptionDue.class, this::onAdoptionDue)
        .onMessageEquals(SpareDue.INSTANCE, this::onSpareDue)
        .onMessage(SpareExited.class, this::onSpareExited)
        .onMessageEquals(Shutdown.INSTANCE, this::onShutdown)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onAuthenticate(Authenticate command) {
    StatusReply<Admission.Admitted> admitted = admit(command.rendererId(), command.secret());
    command.replyTo().tell(admitted.isSuccess()
        ? StatusReply.success(admitted.getValue().caller())
        : StatusReply.error(admitted.getError()));
    return this;
  }

  private Behavior<Command> onAdmit(Admit command) {
    command.replyTo().tell(admit(command.rendererId(), command.secret()));
    return this;
  }

  private StatusReply<Admission.Admitted> admit(String rendererId, String presented) {
    if (rendererId == null) {
      if (!matches(devtoolsSecret, presented)) {
        return refuse(null, "console presented a wrong devtools credential");
      }
      String consoleId = "console-" + (++consoleSeq);
      consoles.add(consoleId);
      getContext().getLog().info("Console [{}] authenticated with the devtools credential", consoleId);
      return StatusReply.success(new Admission.Admitted(
          new Caller(consoleId, settings.profile(), DEVTOOLS_CAPABILITY), null));
    }
    Renderer renderer = renderers.get(rendererId);
    if (renderer == null) {
      return refuse(rendererId, "unknown renderer");
    }
    if (renderer.secretHash == null) {
      return refuse(rendererId, "no secret outstanding (already used, or not running)");
    }
    if (!MessageDigest.isEqual(renderer.secretHash.getBytes(StandardCharsets.UTF_8),
        hash(presented).getBytes(StandardCharsets.UTF_8))) {
      return refuse(rendererId, "wrong secret");
    }
    // One-time: the secret just used is replaced by a fresh resume token, so a replay is refused.
    String resumeToken = newSecret();
    renderer.secretHash = hash(resumeToken);
    timers.cancel(adoptKey(renderer.id));
    persist();
    getContext().getLog().info("Renderer [{}] authenticated", renderer.id);
    return StatusReply.success(new Admission.Admitted(
        new Caller(renderer.id, settings.profile(), renderer.capability), resumeToken));
  }

  private StatusReply<Admission.Admitted> refuse(String rendererId, String why) {
    String who = rendererId == null ? "console" : rendererId;
    getContext().getLog().warn("Refused authentication of [{}]: {}", who, why);
    // The client only learns that it was refused, not why.
    return StatusReply.error(new IpcException(ErrorCode.PERMISSION, "authentication refused for " + who));
  }

  private Behavior<Command> onConnected(Connected command) {
    String id = command.rendererId();
    if (consoles.contains(id)) {
      publish(SystemEvent.RENDERER_JOINED, id, "Console " + id + " attached",
          Map.of("capability", DEVTOOLS_CAPABILITY));
      return this;
    }
    Renderer renderer = renderers.get(id);
    if (renderer == null || renderer.process == null) {
      getContext().getLog().warn("Connected from [{}], which has no running process here", id);
      return this;
    }
    renderer.status = CONNECTED;
    renderer.connectedGeneration = renderer.generation;
    String pid = String.valueOf(renderer.process.pid());
    getContext().getLog().info("Renderer [{}] connected (pid [{}], restarts [{}])", id, pid, renderer.restarts);
    publish(SystemEvent.RENDERER_JOINED, id, "Renderer " + id + " joined",
        Map.of("pid", pid, "capability", renderer.capability, "restarts", String.valueOf(renderer.restarts)));
    if (renderer.restarts > 0) {
      publish(SystemEvent.RENDERER_RESTARTED, id,
          "Renderer " + id + " is back after " + renderer.restarts + " restart(s)",
          Map.of("pid", pid, "restarts", String.valueOf(renderer.restarts)));
    }
    if (settings.spare() && spare == null) {
      // The next spare starts once the renderers are up, not beside them: on few cores it would slow them.
      timers.startSingleTimer(SpareDue.INSTANCE, SpareDue.INSTANCE, settings.spareDelay());
    }
    return this;
  }

  private Behavior<Command> onDisconnected(Disconnected command) {
    String id = command.rendererId();
    String reason = String.valueOf(command.reason());
    if (consoles.remove(id)) {
      getContext().getLog().info("Console [{}] left: {}", id, reason);
      publish(SystemEvent.RENDERER_LEFT, id, "Console " + id + " left: " + reason, Map.of("reason", reason));
      return this;
    }
    Renderer renderer = renderers.get(id);
    if (renderer == null) {
      getContext().getLog().warn("Disconnected from unknown [{}]: {}", id, reason);
      return this;
    }
    getContext().getLog().info("Renderer [{}] disconnected: {}", id, reason);
    publish(SystemEvent.RENDERER_LEFT, id, "Renderer " + id + " left: " + reason, Map.of("reason", reason));
    if (renderer.status.equals(CONNECTED)) {
      renderer.status = STARTING;
    }
    if (renderer.connectedGeneration != renderer.generation) {
      // The session that timed out belonged to a process that already exited and was relaunched.
      getContext().getLog().debug("Renderer [{}]: disconnect of an earlier process, the current one is starting", id);
      return this;
    }
    if (HEARTBEAT_TIMEOUT.equals(command.reason()) && renderer.process != null && renderer.process.isAlive()) {
      // A hung renderer: kill it, and its exit counts as a crash that relaunches it.
      getContext().getLog().warn("Renderer [{}] stopped answering heartbeats but still runs: killing pid [{}]",
          id, renderer.process.pid());
      terminate(renderer);
    }
    return this;
  }

  private Behavior<Command> onBadMessage(BadMessage command) {
    String id = command.rendererId();
    String reason = String.valueOf(command.reason());
    getContext().getLog().error("Renderer [{}] terminated for bad messages: {}", id, reason);
    publish(SystemEvent.RENDERER_BAD_MESSAGE, id, "Renderer " + id + " was terminated for bad messages: " + reason,
        Map.of("reason", reason));
    if (consoles.remove(id)) {
      publish(SystemEvent.RENDERER_LEFT, id, "Console " + id + " left: bad-message", Map.of("reason", "bad-message"));
      return this;
    }
    Renderer renderer = renderers.get(id);
    if (renderer != null && renderer.process != null && renderer.process.isAlive()) {
      renderer.status = STARTING;
      renderer.secretHash = null;
      getContext().getLog().warn("Killing renderer [{}] pid [{}]", id, renderer.process.pid());
      renderer.process.destroyForcibly();
    }
    return this;
  }

  private Behavior<Command> onListRenderers(ListRenderers command) {
    List<RendererInfo> list = new ArrayList<>();
    for (Renderer r : renderers.values()) {
      Long pid = r.process == null ? null : r.process.pid();
      list.add(new RendererInfo(r.id, pid, r.capability, r.status, r.restarts, settings.profile()));
    }
    for (String console : consoles) {
      list.add(new RendererInfo(console, null, DEVTOOLS_CAPABILITY, ATTACHED, 0, settings.profile()));
    }
    if (spare != null) {
      // No capability yet: that comes with the renderer id it is given.
      list.add(new RendererInfo(SPARE, spare.process().pid(), null, SPARE, 0, settings.profile()));
    }
    command.replyTo().tell(new RendererList(List.copyOf(list)));
    return this;
  }

  private Behavior<Command> onRestart(Restart command) {
    String id = command.rendererId();
    Renderer renderer = renderers.get(id);
    if (renderer == null) {
      String message = consoles.contains(id)
          ? id + " is an attached console, main did not launch it"
          : "no renderer " + id;
      command.replyTo().tell(StatusReply.error(new IpcException(ErrorCode.NOT_FOUND, message)));
      return this;
    }
    getContext().getLog().info("Restart of renderer [{}] requested", id);
    timers.cancel(launchKey(id));
    // A requested restart starts a fresh crash window: it also gives a given-up renderer a new chance.
    renderer.crashes.clear();
    renderer.restartWaiters.add(command.replyTo());
    if (renderer.process != null) {
      if (renderer.intent != ExitIntent.RELAUNCH) {
        renderer.intent = ExitIntent.RELAUNCH;
        renderer.status = RESTARTING;
        terminate(renderer);
      }
    } else {
      renderer.restarts++;
      launch(renderer);
    }
    return this;
  }

  private Behavior<Command> onProcessExited(ProcessExited exit) {
    Renderer renderer = renderers.get(exit.rendererId());
    if (renderer == null || exit.generation() != renderer.generation || renderer.process == null) {
      getContext().getLog().debug("Ignoring stale exit of [{}] pid [{}]", exit.rendererId(), exit.pid());
      return this;
    }
    renderer.process = null;
    renderer.startedMillis = null;
    renderer.secretHash = null;
    timers.cancel(killKey(renderer.id));
    timers.cancel(adoptKey(renderer.id));
    persist();
    if (shuttingDown()) {
      // Ctrl-C reaches the renderers too (one process group): their exit is no crash to relaunch.
      renderer.status = STOPPED;
      getContext().getLog().info("Renderer [{}] pid [{}] exited with code [{}] during shutdown",
          renderer.id, exit.pid(), exit.exitCode());
      return this;
    }
    switch (renderer.intent) {
      case STOP -> {
        renderer.status = STOPPED;
        getContext().getLog().info("Renderer [{}] pid [{}] stopped", renderer.id, exit.pid());
      }
      case RELAUNCH -> {
        getContext().getLog().info("Renderer [{}] pid [{}] exited for a restart", renderer.id, exit.pid());
        renderer.restarts++;
        launch(renderer);
      }
      default -> crashed(renderer, exit.exitCode(), exit.pid(), "exited with code " + exit.exitCode());
    }
    return this;
  }

  private Behavior<Command> onLaunchDue(LaunchDue due) {
    Renderer renderer = renderers.get(due.rendererId());
    if (renderer != null && renderer.status.equals(CRASHED) && renderer.process == null && !shuttingDown()) {
      renderer.restarts++;
      launch(renderer);
    }
    return this;
  }

  private Behavior<Command> onKillDue(KillDue due) {
    Renderer renderer = renderers.get(due.rendererId());
    if (renderer != null && due.generation() == renderer.generation
        && renderer.process != null && renderer.process.isAlive()) {
      getContext().getLog().warn("Renderer [{}] pid [{}] ignored SIGTERM for [{}]: killing it",
          renderer.id, renderer.process.pid(), settings.stopTimeout());
      renderer.process.destroyForcibly();
    }
    return this;
  }

  private Behavior<Command> onAdoptionDue(AdoptionDue due) {
    Renderer renderer = renderers.get(due.rendererId());
    if (renderer != null && due.generation() == renderer.generation && !renderer.status.equals(CONNECTED)
        && renderer.process != null && renderer.process.isAlive()) {
      getContext().getLog().warn("Adopted renderer [{}] pid [{}] did not reconnect within [{}]: replacing it",
          renderer.id, renderer.process.pid(), human(settings.adoptTimeout()));
      renderer.intent = ExitIntent.RELAUNCH;
      renderer.secretHash = null;
      renderer.process.destroyForcibly();
    }
    return this;
  }

  private Behavior<Command> onSpareDue() {
    boolean starting = renderers.values().stream()
        .anyMatch(r -> r.process != null && !r.status.equals(CONNECTED));
    if (spare == null && !starting && spareFailures < MAX_SPARE_FAILURES && !shuttingDown()) {
      launchSpare();
    }
    return this;
  }

  private Behavior<Command> onSpareExited(SpareExited exited) {
    if (spare == null || exited.seq() != spare.seq()) {
      // A spare that became a renderer: its exit is that renderer's (ProcessExited).
      return this;
    }
    spare = null;
    if (shuttingDown()) {
      return this;
    }
    spareFailures++;
    if (spareFailures >= MAX_SPARE_FAILURES) {
      getContext().getLog().error("Spare renderer pid [{}] exited with code [{}] before it was needed, [{}] in a row: "
          + "no more spares, renderers launch cold (see spare.log)", exited.pid(), exited.exitCode(), spareFailures);
      return this;
    }
    Duration delay = backoff(settings, spareFailures - 1, ThreadLocalRandom.current().nextDouble()).plus(settings.spareDelay());
    getContext().getLog().warn("Spare renderer pid [{}] exited with code [{}] before it was needed (see spare.log); "
        + "another in [{}] ms", exited.pid(), exited.exitCode(), delay.toMillis());
    timers.startSingleTimer(SpareDue.INSTANCE, SpareDue.INSTANCE, delay);
    return this;
  }

  private boolean shuttingDown() {
    return org.apache.pekko.actor.CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent();
  }

  private Behavior<Command> onShutdown() {
    stopAll();
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    stopAll();
    return this;
  }

  private void launch(Renderer renderer) {
    renderer.generation++;
    renderer.intent = ExitIntent.NONE;
    renderer.secretHash = null;
    String secret = newSecret();
    File log = settings.logDir().resolve(renderer.id + ".log").toFile();
    Spare assigned = assignSpare(renderer.id, secret, log);
    Process process = assigned == null ? null : assigned.process();
    String how = assigned == null ? ""
        : " as the spare launched " + (System.nanoTime() - assigned.launchedNanos()) / 1_000_000 + " ms before";
    if (process == null) {
      ProcessBuilder builder = processBuilder(renderer.id);
      // The secret goes through the environment: the command line is readable by every local user.
      builder.environment().put(ENV_RENDERER_ID, renderer.id);
      builder.environment().put(ENV_LAUNCH_SECRET, secret);
      try {
        Files.createDirectories(settings.logDir());
        builder.redirectErrorStream(true).redirectOutput(Redirect.appendTo(log));
        process = builder.start();
      } catch (IOException | RuntimeException e) {
        getContext().getLog().error("Could not launch renderer [{}] with [{}]: {}",
            renderer.id, settings.java(), e.toString());
        failWaiters(renderer, "could not launch " + renderer.id + ": " + e.getMessage());
        crashed(renderer, -1, -1, "could not be launched: " + e.getMessage());
        return;
      }
    }
    renderer.process = process.toHandle();
    renderer.startedMillis = startedMillis(renderer.process);
    renderer.secretHash = hash(secret);
    renderer.status = STARTING;
    persist();
    long generation = renderer.generation;
    long pid = process.pid();
    getContext().pipeToSelf(process.onExit(), (exited, failure) ->
        new ProcessExited(renderer.id, generation, pid, exited == null ? -1 : exited.exitValue()));
    getContext().getLog().info("Launched renderer [{}] capability [{}] pid [{}] (restarts [{}]){}",
        renderer.id, renderer.capability, pid, renderer.restarts, how);
    for (ActorRef<StatusReply<Done>> waiter : renderer.restartWaiters) {
      waiter.tell(StatusReply.ack());
    }
    renderer.restartWaiters.clear();
  }

  /**
   * Hands the spare, if there is a live one, its identity through its stdin, and returns it; null
   * when there is none (or it is gone), and the caller launches a cold one.
   */
  private Spare assignSpare(String rendererId, String secret, File log) {
    Spare assigned = spare;
    if (assigned == null) {
      return null;
    }
    spare = null;
    timers.cancel(SpareDue.INSTANCE);
    if (!assigned.process().isAlive()) {
      return null;
    }
    // Three short lines into a pipe buffer: this does not block.
    try (java.io.Writer in = new java.io.OutputStreamWriter(assigned.process().getOutputStream(), StandardCharsets.UTF_8)) {
      in.write(rendererId + "\n" + secret + "\n" + log.getAbsolutePath() + "\n");
    } catch (IOException e) {
      getContext().getLog().warn("Spare renderer pid [{}] could not be assigned [{}] ({}); launching one",
          assigned.process().pid(), rendererId, e.toString());
      assigned.process().destroyForcibly();
      return null;
    }
    spareFailures = 0;
    return assigned;
  }

  /**
   * A renderer JVM without an identity (Chromium's spare renderer process): it starts its actor
   * system and connects to the gateway, then waits on stdin for the id and secret that
   * {@link #assignSpare} writes. Its output goes to {@code spare.log} until it is assigned.
   */
  private void launchSpare() {
    ProcessBuilder builder = processBuilder(SPARE);
    builder.environment().remove(ENV_RENDERER_ID);
    builder.environment().remove(ENV_LAUNCH_SECRET);
    builder.environment().put(ENV_SPARE, "1");
    Process process;
    try {
      Files.createDirectories(settings.logDir());
      builder.redirectErrorStream(true).redirectOutput(Redirect.appendTo(settings.logDir().resolve(SPARE + ".log").toFile()));
      process = builder.start();
    } catch (IOException | RuntimeException e) {
      spareFailures = MAX_SPARE_FAILURES;
      getContext().getLog().error("Could not launch a spare renderer with [{}]: {}; renderers launch cold",
          settings.java(), e.toString());
      return;
    }
    spare = new Spare(process, ++spareSeq, System.nanoTime());
    long seq = spare.seq();
    long pid = process.pid();
    getContext().pipeToSelf(process.onExit(), (exited, failure) ->
        new SpareExited(seq, pid, exited == null ? -1 : exited.exitValue()));
    getContext().getLog().info("Launched a spare renderer pid [{}]", pid);
  }

  /** The renderer JVM's command line and the environment every renderer gets; {@code optionsId} fills {@value #RENDERER_ID_PLACEHOLDER}. */
  private ProcessBuilder processBuilder(String optionsId) {
    List<String> command = new ArrayList<>();
    command.add(settings.java());
    for (String option : settings.jvmOptions()) {
      command.add(option.replace(RENDERER_ID_PLACEHOLDER, optionsId));
    }
    if (settings.configFile() != null) {
      command.add("-Dconfig.file=" + settings.configFile());
    }
    command.add("-cp");
    command.add(settings.classpath());
    command.add(settings.mainClass());
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put(ENV_GATEWAY, settings.gateway());
    env.put(ENV_PARENT_PID, String.valueOf(ProcessHandle.current().pid()));
    if (settings.tlsDir() != null) {
      env.put(TransportSecurity.ENV_TLS_DIR, settings.tlsDir().toString());
    } else {
      env.remove(TransportSecurity.ENV_TLS_DIR);
    }
    return builder;
  }

  private void crashed(Renderer renderer, int exitCode, long pid, String what) {
    long now = System.nanoTime();
    renderer.crashes.addLast(now);
    while (now - renderer.crashes.peekFirst() > settings.restartWindow().toNanos()) {
      renderer.crashes.removeFirst();
    }
    int recent = renderer.crashes.size();
    Map<String, String> data = new LinkedHashMap<>();
    data.put("exitCode", String.valueOf(exitCode));
    data.put("pid", String.valueOf(pid));
    data.put("crashes", String.valueOf(recent));
    if (recent > settings.maxRestarts()) {
      renderer.status = GIVEN_UP;
      data.put("givenUp", "true");
      String detail = String.format(
          "Renderer %s %s and was given up: %d crashes within %s, more than max-restarts = %d",
          renderer.id, what, recent, human(settings.restartWindow()), settings.maxRestarts());
      getContext().getLog().error("Renderer [{}] {}; giving up: [{}] crashes within [{}] (max-restarts [{}])",
          renderer.id, what, recent, human(settings.restartWindow()), settings.maxRestarts());
      publish(SystemEvent.RENDERER_CRASHED, renderer.id, detail, data);
      return;
    }
    Duration delay = backoff(settings, recent - 1, ThreadLocalRandom.current().nextDouble());
    renderer.status = CRASHED;
    data.put("restartInMillis", String.valueOf(delay.toMillis()));
    getContext().getLog().warn("Renderer [{}] pid [{}] {}; relaunching in [{}] ms",
        renderer.id, pid, what, delay.toMillis());
    publish(SystemEvent.RENDERER_CRASHED, renderer.id,
        "Renderer " + renderer.id + " " + what + "; relaunching in " + delay.toMillis() + " ms", data);
    timers.startSingleTimer(launchKey(renderer.id), new LaunchDue(renderer.id), delay);
  }

  /**
   * The delay before relaunching after the (n+1)-th crash in the window: min * 2^n capped at max,
   * then stretched by up to random-factor.
   *
   * @param random uniform in [0, 1)
   */
  static Duration backoff(Settings settings, int n, double random) {
    double base = settings.backoffMin().toNanos() * Math.pow(2, Math.max(0, Math.min(n, 62)));
    double capped = Math.min(base, settings.backoffMax().toNanos());
    return Duration.ofNanos(Math.round(capped * (1.0 + random * settings.backoffRandomFactor())));
  }

  /** SIGTERM now, SIGKILL if it is still there after the stop timeout. */
  private void terminate(Renderer renderer) {
    renderer.process.destroy();
    timers.startSingleTimer(killKey(renderer.id), new KillDue(renderer.id, renderer.generation),
        settings.stopTimeout());
  }

  /** Blocks for at most about stop-timeout plus a second: nothing may outlive main. */
  private void stopAll() {
    List<ProcessHandle> running = new ArrayList<>();
    for (Renderer renderer : renderers.values()) {
      timers.cancel(launchKey(renderer.id));
      timers.cancel(killKey(renderer.id));
      failWaiters(renderer, "the renderer supervisor is stopping");
      renderer.intent = ExitIntent.STOP;
      if (!renderer.status.equals(GIVEN_UP)) {
        renderer.status = STOPPED;
      }
      renderer.secretHash = null;
      timers.cancel(adoptKey(renderer.id));
      if (renderer.process != null && renderer.process.isAlive()) {
        renderer.process.destroy();
        running.add(renderer.process);
      }
    }
    timers.cancel(SpareDue.INSTANCE);
    if (spare != null && spare.process().isAlive()) {
      spare.process().destroy();
      running.add(spare.process().toHandle());
    }
    spare = null;
    persist(List.of());
    if (running.isEmpty()) {
      return;
    }
    getContext().getLog().info("Stopping [{}] renderer process(es)", running.size());
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    boolean interrupted = false;
    for (ProcessHandle process : running) {
      try {
        process.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // killed below
      }
    }
    for (ProcessHandle process : running) {
      if (process.isAlive()) {
        getContext().getLog().warn("Renderer pid [{}] ignored SIGTERM: killing it", process.pid());
        process.destroyForcibly();
      }
    }
    for (ProcessHandle process : running) {
      try {
        process.onExit().get(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        getContext().getLog().error("Renderer pid [{}] still runs after SIGKILL", process.pid());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void failWaiters(Renderer renderer, String message) {
    for (ActorRef<StatusReply<Done>> waiter : renderer.restartWaiters) {
      waiter.tell(StatusReply.error(new IpcException(ErrorCode.INTERNAL, message)));
    }
    renderer.restartWaiters.clear();
  }

  private void publish(String kind, String rendererId, String detail, Map<String, String> data) {
    systemEvents.tell(new SystemEvent(kind, rendererId, detail, data, System.currentTimeMillis()));
  }

  private void persist() {
    List<Renderer> running = renderers.values().stream().filter(r -> r.process != null).toList();
    persist(running);
  }

  /** Rewrites {@link #RENDERERS_FILE} with the given renderers, owner-only and atomically. */
  private void persist(List<Renderer> running) {
    com.fasterxml.jackson.databind.node.ArrayNode list = JsonNodeFactory.instance.arrayNode();
    for (Renderer r : running) {
      list.addObject()
          .put("id", r.id)
          .put("pid", r.process.pid())
          .put("startedMillis", r.startedMillis)
          .put("capability", r.capability)
          .put("profile", settings.profile())
          .put("secretHash", r.secretHash);
    }
    Path file = settings.dataDir().resolve(RENDERERS_FILE);
    try {
      writeOwnerOnly(file, JsonNodeFactory.instance.objectNode().set("renderers", list).toString());
    } catch (IOException e) {
      getContext().getLog().error("Could not write [{}]: a restarted main will not adopt these renderers: {}",
          file, e.toString());
    }
  }

  private Map<String, Persisted> readPersisted() {
    Path file = settings.dataDir().resolve(RENDERERS_FILE);
    Map<String, Persisted> result = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return result;
    }
    try {
      com.fasterxml.jackson.databind.JsonNode root =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
      for (com.fasterxml.jackson.databind.JsonNode r : root.path("renderers")) {
        result.put(r.path("id").asText(), new Persisted(r.path("id").asText(), r.path("pid").asLong(),
            r.path("startedMillis").isNumber() ? r.path("startedMillis").asLong() : null,
            r.path("capability").asText(), r.path("profile").asText(),
            r.path("secretHash").isTextual() ? r.path("secretHash").asText() : null));
      }
    } catch (IOException | RuntimeException e) {
      getContext().getLog().warn("Ignoring unreadable [{}]: {}", file, e.toString());
    }
    return result;
  }

  /** JSON {gateway, secret}, written owner-only and moved into place so no one sees it half-written. */
  private void writeDevtoolsCredential() {
    Path file = settings.dataDir().resolve(DEVTOOLS_CREDENTIAL_FILE);
    String json = JsonNodeFactory.instance.objectNode()
        .put("gateway", settings.gateway())
        .put("secret", devtoolsSecret)
        .put("tls", settings.tlsDir() == null ? null : settings.tlsDir().toString())
        .toString();
    try {
      writeOwnerOnly(file, json);
      getContext().getLog().info("Devtools credential written to [{}]", file);
    } catch (IOException e) {
      // Renderers do not need it; only consoles will be unable to attach.
      getContext().getLog().error("Could not write the devtools credential to [{}]: {}", file, e.toString());
    }
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(
          EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
    } catch (UnsupportedOperationException notPosix) {
      tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      File f = tmp.toFile();
      f.setReadable(false, false);
      f.setReadable(true, true);
      f.setWritable(false, false);
      f.setWritable(true, true);
    }
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | java.nio.file.AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String human(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  /** What is kept of a secret: SHA-256, base64url. */
  private static String hash(String secret) {
    if (secret == null) {
      return "";
    }
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean matches(String expected, String presented) {
    if (presented == null) {
      return false;
    }
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  private static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String launchKey(String rendererId) {
    return "launch-" + rendererId;
  }

  private static String adoptKey(String rendererId) {
    return "adopt-" + rendererId;
  }

  private static String killKey(String rendererId) {
    return "kill-" + rendererId;
  }
}
