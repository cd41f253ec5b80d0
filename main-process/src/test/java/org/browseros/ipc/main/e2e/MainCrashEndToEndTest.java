package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main killed with SIGKILL under write traffic, then restarted on the same data dir: every write it
 * had acknowledged (replied to) is there afterwards.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MainCrashEndToEndTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @TempDir
  static Path dataDir;

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Process startMain(int edgePort, int corePort) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("setsid", REPO.resolve("scripts/main-process").toString(),
        "--data-dir", dataDir.toString(), "--renderers", "0",
        "--edge-port", String.valueOf(edgePort), "--core-port", String.valueOf(corePort))
        .directory(REPO.toFile()).redirectErrorStream(true);
    builder.environment().put("BROWSEROS_SKIP_BUILD", "1");
    Process main = builder.start();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(main.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.contains("main process ready")) {
            ready.complete(null);
          }
        }
        ready.completeExceptionally(new AssertionError("main exited before it was ready"));
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    ready.get(120, TimeUnit.SECONDS);
    return main;
  }

  /** A console's config: mutual TLS with the key material main keeps in its data dir, as scripts/ipc does. */
  private static com.typesafe.config.Config consoleConfig() {
    Path tls = dataDir.resolve(org.browseros.ipc.protocol.TransportSecurity.DIRECTORY);
    return Files.isDirectory(tls) ? RendererConfig.withTls(RendererConfig.load(), tls) : RendererConfig.load();
  }

  private static IpcRenderer console(ActorSystem<?> system) throws Exception {
    JsonNode credential = PayloadCodec.parseJson(Files.readString(dataDir.resolve("devtools.credential")));
    IpcRenderer client = IpcRenderer.connect(system,
            ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText())
                .withInvokeTimeout(Duration.ofSeconds(3)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    client.state().ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return client;
  }

  private static void kill(Process main) throws InterruptedException {
    main.descendants().forEach(ProcessHandle::destroyForcibly);
    main.destroyForcibly();
    assertTrue(main.waitFor(30, TimeUnit.SECONDS));
  }

  @Test
  void shouldKeepEveryAcknowledgedWriteAcrossSigkillOfMain() throws Exception {
    int edgePort = freePort();
    int corePort = freePort();
    Set<String> acknowledgedTabs = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    String windowId;
    List<ActorSystem<?>> systems = new ArrayList<>();
    Process main = startMain(edgePort, corePort);
    try {
      ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "console", consoleConfig());
      systems.add(first);
      IpcRenderer ipc = console(first);
      WindowInfo window = ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("crash test", null))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      windowId = window.windowId();

      // Up to 8 writes in flight; kill main once 40 are acknowledged, with more still on the wire.
      Semaphore inFlight = new Semaphore(8);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledgedTabs.size() < 40 && System.nanoTime() < deadline) {
        inFlight.acquire();
        ipc.invoke(Channels.TAB_CREATE, new TabCreate(windowId, "https://example.org/" + System.nanoTime(), false))
            .whenComplete((tab, error) -> {
              if (error == null) {
                acknowledgedTabs.add(tab.tabId());
              } else {
                failed.incrementAndGet();
              }
              inFlight.release();
            });
      }
      Process.class.cast(main).toHandle().destroyForcibly();
      assertTrue(main.waitFor(30, TimeUnit.SECONDS));
      assertTrue(inFlight.tryAcquire(8, 20, TimeUnit.SECONDS), "every in-flight invoke ends (reply or error), none hangs");
    } finally {
      kill(main);
    }

    Set<String> acknowledged = Set.copyOf(acknowledgedTabs);
    assertTrue(acknowledged.size() >= 40, "writes acknowledged before the kill: " + acknowledged.size());
    main = startMain(edgePort, corePort);
    try {
      ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "console", consoleConfig());
      systems.add(second);
      IpcRenderer ipc = console(second);
      String wid = windowId;
      BuiltInChannelsEndToEndTest.awaitState(() -> ipc.state().windows().containsKey(wid), true);
      // Tabs recover after their window: give the restored session a bounded moment to publish them.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!ipc.state().tabs().keySet().containsAll(acknowledged) && System.nanoTime() < until) {
        Thread.sleep(100);
      }
      Set<String> restored = ipc.state().tabs().keySet();
      List<String> lost = acknowledged.stream().filter(id -> !restored.contains(id)).sorted().toList();
      assertEquals(List.of(), lost, "acknowledged tabs lost by the crash");
      assertTrue(ipc.state().windows().get(wid).tabs().containsAll(acknowledged));
    } finally {
      kill(main);
      for (ActorSystem<?> system : systems) {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
      }
    }
  }
}
