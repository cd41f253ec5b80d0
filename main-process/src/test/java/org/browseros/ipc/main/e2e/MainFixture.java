package org.browseros.ipc.main.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.main.MainNode;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;

/**
 * A real main process in the test JVM (core + edge systems, H2 journal in a temp dir, loopback
 * ports chosen by the OS) with real renderer JVMs launched by its supervisor, and console clients
 * that connect over real Artery remoting the way {@code scripts/ipc} does.
 */
final class MainFixture implements AutoCloseable {
  private final MainNode node;
  private final List<ActorSystem<?>> clientSystems = new ArrayList<>();
  private final List<IpcRenderer> clients = new ArrayList<>();

  private MainFixture(MainNode node) {
    this.node = node;
  }

  static MainFixture start(Path dataDir, int renderers, IpcMain ipcMain) throws Exception {
    return start(dataDir, renderers, ipcMain, Map.of());
  }

  static MainFixture start(Path dataDir, int renderers, IpcMain ipcMain, Map<String, Object> extra) throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("browseros.data-dir", dataDir.toString());
    overrides.put("browseros.renderers.count", renderers);
    overrides.put("browseros.edge.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.core.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.renderers.backoff.min", "100ms");
    overrides.put("browseros.inspector.port", 0);
    rendererClasspath().ifPresent(cp -> overrides.put("browseros.renderers.classpath", cp));
    overrides.putAll(extra);
    MainNode node = MainNode.start(MainConfig.load(overrides), ipcMain);
    MainFixture fixture = new MainFixture(node);
    if (renderers > 0 && !node.awaitRenderersConnected(Duration.ofSeconds(60))) {
      fixture.close();
      throw new IllegalStateException("Renderers did not connect in time: " + node.renderers());
    }
    // The inspector starts once the renderers connected, off main's start thread: wait for it too.
    node.inspector();
    return fixture;
  }

  /**
   * The renderer module's own runtime classpath, as scripts/main-process passes it; the test
   * classpath would hand renderers main's test logging config.
   */
  static java.util.Optional<String> rendererClasspath() throws java.io.IOException {
    Path module = Path.of("..", "renderer-process", "target").toAbsolutePath().normalize();
    Path dependencies = module.resolve("classpath.txt");
    if (!Files.isRegularFile(dependencies) || !Files.isDirectory(module.resolve("classes"))) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(module.resolve("classes") + java.io.File.pathSeparator + Files.readString(dependencies).strip());
  }

  MainNode node() {
    return node;
  }

  IpcMain ipcMain() {
    return node.ipcMain();
  }

  /** A console client, authenticated with the devtools credential main wrote to its data dir. */
  IpcRenderer console() throws Exception {
    JsonNode credential = PayloadCodec.parseJson(Files.readString(node.dataDir().resolve("devtools.credential")));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "console", clientConfig());
    clientSystems.add(system);
    IpcRenderer client = IpcRenderer.connect(system,
            ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    clients.add(client);
    client.state().ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return client;
  }

  /** A client system's config: mutual TLS on main's key material unless main runs plain TCP. */
  com.typesafe.config.Config clientConfig() {
    return node.config().getBoolean("browseros.security.plain-tcp") ? RendererConfig.load() : clientConfig(node.dataDir());
  }

  /** A console's config as scripts/ipc builds it: mutual TLS with the key material in main's data dir, if any. */
  static com.typesafe.config.Config clientConfig(Path dataDir) {
    Path tls = dataDir.resolve(org.browseros.ipc.protocol.TransportSecurity.DIRECTORY);
    return Files.isDirectory(tls) ? RendererConfig.withTls(RendererConfig.load(), tls) : RendererConfig.load();
  }

  interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls {@code probe} until it returns {@code expected} (bounded: 15 s), and returns it. */
  static <T> T awaitState(Probe<T> probe, T expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (expected.equals(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("expected " + expected + " but was " + last);
  }

  /** Tracks a client system so that {@link #close} terminates it. */
  <T> ActorSystem<T> track(ActorSystem<T> system) {
    clientSystems.add(system);
    return system;
  }

  RendererInfo renderer(String rendererId) throws Exception {
    return node.renderers().renderers().stream().filter(r -> r.rendererId().equals(rendererId)).findFirst()
        .orElseThrow(() -> new AssertionError("No renderer " + rendererId));
  }

  @Override
  public void close() {
    clients.forEach(c -> {
      try {
        c.close();
      } catch (RuntimeException e) {
        // already gone
      }
    });
    clientSystems.forEach(s -> {
      try {
        terminate(s);
      } catch (Exception e) {
        // bounded: go on closing the rest
      }
    });
    node.close();
  }

  /** Terminates a client's actor system and waits for it: at most 20 s, then a TimeoutException. */
  static void terminate(ActorSystem<?> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
