package org.browseros.ipc.renderer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.IpcException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of a renderer JVM launched by main. Reads its identity from the environment (a
 * spare, {@link #ENV_SPARE}, from its stdin once main needs it), connects, answers
 * {@code renderer:info}, and exits when the connection is lost for good, or on SIGTERM. A lost
 * connection is first resumed ({@code browseros.renderer.reconnect}): a restarted main adopts its
 * predecessor's renderers. When the parent process (main) dies, the renderer waits up to
 * {@code reconnect.give-up-after} for a new main to take it back, then exits: no renderer outlives
 * main for long.
 *
 * <p>Exit status: 0 on a requested shutdown, when no main adopted it after its parent exited, or
 * when main closed a spare's stdin without assigning it; 2 when connecting failed; 3 when the
 * connection was lost for good (main relaunches the renderer); 64 on missing environment.
 */
public final class RendererMain {
  private static final Logger log = LoggerFactory.getLogger(RendererMain.class);

  public static final String ENV_RENDERER_ID = "BROWSEROS_RENDERER_ID";
  public static final String ENV_SECRET = "BROWSEROS_LAUNCH_SECRET";
  public static final String ENV_GATEWAY = "BROWSEROS_GATEWAY";
  public static final String ENV_PARENT_PID = "BROWSEROS_PARENT_PID";
  /**
   * {@code 1}: a spare renderer (Chromium's spare renderer process). It starts without an identity,
   * gets its JVM, actor system and connection to the gateway ready, then reads its identity from
   * stdin ({@link Assignment}) and connects as that renderer. EOF first: main went away, exit 0.
   */
  public static final String ENV_SPARE = "BROWSEROS_RENDERER_SPARE";

  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_CONNECTION_LOST = 3;
  static final int EXIT_USAGE = 64;
  /** How long a spare waits for the gateway's answer when it warms its connection up. */
  private static final Duration SPARE_WARM_UP_TIMEOUT = Duration.ofSeconds(10);

  private RendererMain() {}

  public static void main(String[] args) {
    // Start-up phases (issue 5), logged once connected: this class's static init (logging) ran before.
    long tMain = System.nanoTime();
    Map<String, String> env = System.getenv();
    boolean spare = isSpare(env);
    String rendererId = env.get(ENV_RENDERER_ID);
    String secret = env.get(ENV_SECRET);
    String gateway = env.get(ENV_GATEWAY);
    if (isBlank(gateway) || (!spare && (isBlank(rendererId) || isBlank(secret)))) {
      System.err.println("renderer: " + ENV_RENDERER_ID + ", " + ENV_SECRET + " and " + ENV_GATEWAY
          + " must be set (a spare, " + ENV_SPARE + "=1, needs only " + ENV_GATEWAY + ")");
      System.exit(EXIT_USAGE);
      return;
    }
    long started = System.currentTimeMillis();
    long pid = ProcessHandle.current().pid();

    com.typesafe.config.Config config = RendererConfig.load();
    long tConfig = System.nanoTime();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "renderer", config);
    long tSystem = System.nanoTime();
    // Jackson builds the Hello and Welcome (de)serializers now, while Artery connects (start-up).
    org.browseros.ipc.protocol.SessionWarmUp.start(system);
    String spareNote = "";
    long tHello = tSystem;
    if (spare) {
      Assignment assignment = awaitAssignment(system, gateway, pid);
      if (assignment == null) {
        exit(system, 0);
        return;
      }
      rendererId = assignment.rendererId();
      secret = assignment.secret();
      long waited = (System.nanoTime() - tSystem) / 1_000_000;
      if (assignment.logFile() != null) {
        redirectOutput(assignment.logFile(), rendererId, pid);
      }
      spareNote = " (a spare: assigned " + waited + " ms after its actor system was up)";
      tHello = System.nanoTime();
    }
    ConnectOptions options = ConnectOptions.of(system, gateway, rendererId, secret);

    IpcRenderer renderer;
    try {
      // Its handler is registered before the Hello: main may ask as soon as it sees the renderer connected.
      renderer = IpcRenderer.connect(system, options, r -> r.handle(RendererChannels.RENDERER_INFO,
              query -> new RendererChannels.RendererStatus(r.rendererId(), pid, r.state().version(),
                  System.currentTimeMillis() - started)))
          .toCompletableFuture().get(options.handshakeTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      System.err.println("renderer " + options.rendererId() + ": cannot connect to " + gateway + ": "
          + IpcException.errorOf(e).code() + " " + IpcException.errorOf(e).message());
      exit(system, EXIT_CONNECT_FAILED);
      return;
    }

    long tWelcome = System.nanoTime();
    long cpuMillis = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);

    // SIGTERM runs the JVM hook, which runs coordinated shutdown: say Goodbye before remoting stops.
    CoordinatedShutdown.get(system).addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(), "renderer-goodbye",
        () -> renderer.closeAsync().thenApply(done -> Done.getInstance()));

    String id = renderer.rendererId();
    renderer.onDisconnect(() -> {
      log.warn("Renderer [{}] lost its connection to main; exiting", id);
      exit(system, EXIT_CONNECTION_LOST);
    });
    String firstMain = renderer.mainInstanceId();
    renderer.onReconnect(sameMain -> log.info("Renderer [{}] reconnected to {} main", id,
        sameMain ? "the same" : "a restarted"));
    parentExit(env).thenAccept(why -> {
      ConnectOptions.Reconnect reconnect = options.reconnect();
      if (!reconnect.enabled() || firstMain == null) {
        log.info("{}; renderer [{}] exiting", why, id);
        exit(system, 0);
        return;
      }
      log.info("{}; renderer [{}] waits up to [{}] ms for a restarted main to adopt it", why, id,
          reconnect.giveUpAfter().toMillis());
      CompletableFuture.delayedExecutor(reconnect.giveUpAfter().toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (renderer.isConnected() && !firstMain.equals(renderer.mainInstanceId())) {
          log.info("Renderer [{}] was adopted by a restarted main", id);
        } else {
          log.info("No main adopted renderer [{}]; exiting", id);
          exit(system, 0);
        }
      });
    });

    System.out.println("renderer " + renderer.rendererId() + " connected (pid " + pid + ")");
    System.out.flush();
    log.info("renderer [{}] connected (pid {}, jvm {})", renderer.rendererId(), pid,
        ManagementFactory.getRuntimeMXBean().getName());
    log.info("Start-up of renderer [{}] (ms): JVM start to main() {} (JVM, logging), config {}, actor system {}, "
        + "Hello to Welcome {} (TLS, handshake, authentication); CPU time of the JVM until then {}{}", renderer.rendererId(),
        sinceJvmStart(tMain), (tConfig - tMain) / 1_000_000, (tSystem - tConfig) / 1_000_000,
        (tWelcome - tHello) / 1_000_000, cpuMillis, spareNote);
  }

  /**
   * What main writes to a spare's stdin, one line each: the renderer id, its launch secret, and the
   * file its output goes to from then on (an empty line: stay where it is). Through stdin, not the
   * command line or the environment: a pipe only main holds.
   */
  record Assignment(String rendererId, String secret, Path logFile) {
    /** Null at EOF; fails on a malformed assignment. */
    static Assignment read(BufferedReader in) throws IOException {
      String id = in.readLine();
      String secret = in.readLine();
      String logFile = in.readLine();
      if (id == null || secret == null || logFile == null) {
        return null;
      }
      if (id.isBlank() || secret.isBlank() || !id.strip().equals(id) || !secret.strip().equals(secret)) {
        throw new IOException("malformed assignment: blank or padded renderer id or secret");
      }
      try {
        return new Assignment(id, secret, logFile.isBlank() ? null : Path.of(logFile));
      } catch (java.nio.file.InvalidPathException e) {
        throw new IOException("malformed assignment: " + e.getMessage(), e);
      }
    }
  }

  /**
   * A spare's wait: it first sends the gateway an {@code Identify}, so that Artery's connections
   * (and their TLS handshakes) to and from main are up before it is needed, then blocks on stdin.
   * Null when main closed stdin without assigning it, or assigned it something malformed.
   */
  private static Assignment awaitAssignment(ActorSystem<?> system, String gateway, long pid) {
    try {
      org.apache.pekko.pattern.Patterns.ask(
              org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system).actorSelection(gateway),
              new org.apache.pekko.actor.Identify("spare"), SPARE_WARM_UP_TIMEOUT)
          .toCompletableFuture().get(SPARE_WARM_UP_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Not fatal: the Hello after the assignment connects as a launched renderer's does.
      log.warn("Spare renderer (pid {}) could not reach the gateway ahead of need: {}", pid, e.toString());
    }
    System.out.println("spare renderer ready (pid " + pid + ")");
    System.out.flush();
    log.info("Spare renderer (pid {}) ready; waiting for main to assign it a renderer id", pid);
    try {
      Assignment assignment = Assignment.read(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
      if (assignment == null) {
        log.info("Main closed the spare renderer's stdin (pid {}) without assigning it; exiting", pid);
      } else {
        log.info("Spare renderer (pid {}) assigned as [{}]", pid, assignment.rendererId());
      }
      return assignment;
    } catch (IOException | RuntimeException e) {
      // Exit rather than die on this thread: the actor system would keep a JVM nobody waits for alive.
      log.error("Spare renderer (pid {}) could not read its assignment; exiting: {}", pid, e.getMessage());
      return null;
    }
  }

  /**
   * From now on System.out and System.err (the logging's console appender writes through them)
   * append to the renderer's own log, where main sends a launched renderer's output. What the JVM
   * itself prints (fatal errors) still goes to the spare's log.
   */
  private static void redirectOutput(Path logFile, String rendererId, long pid) {
    try {
      java.io.PrintStream out = new java.io.PrintStream(
          new java.io.FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8);
      System.setOut(out);
      System.setErr(out);
      log.info("Renderer [{}] is the spare renderer pid [{}]; its output before this line, and the JVM's own, "
          + "is in the spare's log", rendererId, pid);
    } catch (IOException | SecurityException e) {
      log.warn("Renderer [{}] keeps logging to the spare's log: cannot open [{}]: {}", rendererId, logFile, e.toString());
    }
  }

  /**
   * Completes when the process whose death ends this renderer exits: {@code BROWSEROS_PARENT_PID},
   * else the JVM's parent. A parent that is already gone completes it at once.
   */
  private static CompletableFuture<String> parentExit(Map<String, String> env) {
    String value = env.get(ENV_PARENT_PID);
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    if (!isBlank(value)) {
      try {
        long pid = Long.parseLong(value.trim());
        parent = ProcessHandle.of(pid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
          return CompletableFuture.completedFuture("Parent process " + pid + " is already gone");
        }
      } catch (NumberFormatException e) {
        log.warn("Ignoring {}={}: not a pid", ENV_PARENT_PID, value);
      }
    }
    return parent
        .map(p -> p.onExit().thenApply(h -> "Parent process " + h.pid() + " exited"))
        .orElseGet(CompletableFuture::new);
  }

  /**
   * Exits on a fresh thread: System.exit waits for the shutdown hooks, which wait for the actor
   * system, which may be waiting for the very dispatcher thread that asked to exit.
   */
  private static void exit(ActorSystem<?> system, int status) {
    Thread t = new Thread(() -> {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Exit anyway: outliving main is worse than an untidy shutdown.
      }
      System.exit(status);
    }, "renderer-exit");
    t.start();
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

  /** Whether this JVM was launched as a spare ({@link #ENV_SPARE}). */
  static boolean isSpare(Map<String, String> env) {
    return "1".equals(env.get(ENV_SPARE));
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
