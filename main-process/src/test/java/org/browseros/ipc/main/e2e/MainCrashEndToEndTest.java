package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main killed with SIGKILL under write traffic, then restarted on the same data dir: every write it
 * had acknowledged (replied to) is there afterwards.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MainCrashEndToEndTest {
  @TempDir
  static Path dataDir;

  private static Process startMain(int edgePort, int corePort) throws Exception {
    return MainScript.start("--data-dir", dataDir.toString(), "--renderers", "0", "--inspector-port", "0",
        "--edge-port", String.valueOf(edgePort), "--core-port", String.valueOf(corePort)).process();
  }

  private static IpcRenderer console(ActorSystem<?> system) throws Exception {
    JsonNode credential = PayloadCodec.parseJson(Files.readString(dataDir.resolve("devtools.credential")));
    IpcRenderer client = IpcRenderer.connect(system,
            ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText())
                .withInvokeTimeout(Duration.ofSeconds(10)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    client.state().ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return client;
  }

  @Test
  void shouldKeepEveryAcknowledgedWriteAcrossSigkillOfMain() throws Exception {
    int edgePort = MainScript.freePort();
    int corePort = MainScript.freePort();
    Set<String> acknowledgedTabs = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    String windowId;
    List<ActorSystem<?>> systems = new ArrayList<>();
    Process main = startMain(edgePort, corePort);
    try {
      ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "console", MainFixture.clientConfig(dataDir));
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
      MainScript.kill(main);
    }

    Set<String> acknowledged = Set.copyOf(acknowledgedTabs);
    assertTrue(acknowledged.size() >= 40, "writes acknowledged before the kill: " + acknowledged.size());
    main = startMain(edgePort, corePort);
    try {
      ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "console", MainFixture.clientConfig(dataDir));
      systems.add(second);
      IpcRenderer ipc = console(second);
      String wid = windowId;
      MainFixture.awaitState(() -> ipc.state().windows().containsKey(wid), true);
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
      MainScript.kill(main);
      for (ActorSystem<?> system : systems) {
        MainFixture.terminate(system);
      }
    }
  }
}
