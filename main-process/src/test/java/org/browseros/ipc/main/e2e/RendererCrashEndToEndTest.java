package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A renderer killed with SIGKILL is relaunched, reconnects and is resynced; main and the others carry on. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RendererCrashEndToEndTest {

  @TempDir
  static Path dataDir;

  @Test
  void shouldRestartAndResyncARendererKilledWithSigkill() throws Exception {
    try (MainFixture main = MainFixture.start(dataDir, 2, new IpcMain(Duration.ofSeconds(5)))) {
      IpcRenderer console = main.console();
      LinkedBlockingQueue<SystemEvent> events = new LinkedBlockingQueue<>();
      console.on(Channels.SYSTEM_EVENT, events::add);
      WindowInfo window = await(console.invoke(Channels.WINDOW_CREATE, new WindowCreate("survives", null)));

      RendererInfo victim = main.renderer("renderer-1");
      long otherPid = main.renderer("renderer-2").pid();
      ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();

      SystemEvent crashed = next(events, SystemEvent.RENDERER_CRASHED);
      assertEquals("renderer-1", crashed.rendererId());
      SystemEvent restarted = next(events, SystemEvent.RENDERER_RESTARTED);
      assertEquals("renderer-1", restarted.rendererId());

      RendererInfo relaunched = main.renderer("renderer-1");
      assertEquals("connected", relaunched.status());
      assertEquals(1, relaunched.restarts());
      assertNotEquals(victim.pid(), relaunched.pid());
      assertEquals(otherPid, main.renderer("renderer-2").pid(), "the other renderer kept running");
      assertTrue(ProcessHandle.of(victim.pid()).map(p -> !p.isAlive()).orElse(true));

      // The new renderer got a snapshot: it is at the same state version as the console.
      long version = console.state().version();
      assertTrue(console.state().windows().containsKey(window.windowId()));
      long rendererVersion = MainFixture.awaitState(() -> await(main.ipcMain().invoke("renderer-1",
          RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery())).stateVersion(), version);
      assertEquals(version, rendererVersion);
    }
  }

  @Test
  void shouldBringAKilledRendererBackAsTheSpareWithTheCurrentState(@TempDir Path spareDir) throws Exception {
    try (MainFixture main = MainFixture.start(spareDir, 2, new IpcMain(Duration.ofSeconds(5)),
        Map.of("browseros.renderers.spare.enabled", true, "browseros.renderers.spare.delay", "200ms"))) {
      IpcRenderer console = main.console();
      LinkedBlockingQueue<SystemEvent> events = new LinkedBlockingQueue<>();
      console.on(Channels.SYSTEM_EVENT, events::add);
      WindowInfo window = await(console.invoke(Channels.WINDOW_CREATE, new WindowCreate("survives", null)));
      // The spare is up (actor system, connections to main) and waits for an identity.
      Path spareLog = spareDir.resolve("logs").resolve("spare.log");
      long sparePid = awaitSpare(main, spareLog);

      RendererInfo victim = main.renderer("renderer-1");
      ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();

      assertEquals("renderer-1", next(events, SystemEvent.RENDERER_CRASHED).rendererId());
      SystemEvent restarted = next(events, SystemEvent.RENDERER_RESTARTED);
      assertEquals("renderer-1", restarted.rendererId());
      assertEquals(String.valueOf(sparePid), restarted.data().get("pid"), "renderer-1 came back as the spare's process");
      RendererInfo relaunched = main.renderer("renderer-1");
      assertEquals("connected", relaunched.status());
      assertEquals("shell", relaunched.capability());

      // It answers as renderer-1, with the state the console has, and logs to renderer-1's log now.
      long version = console.state().version();
      assertTrue(console.state().windows().containsKey(window.windowId()));
      RendererChannels.RendererStatus status = await(main.ipcMain().invoke("renderer-1",
          RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery()));
      assertEquals(sparePid, status.pid());
      assertEquals(version, MainFixture.awaitState(() -> await(main.ipcMain().invoke("renderer-1",
          RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery())).stateVersion(), version));
      // Its last line of start-up, printed after it answers: wait for it.
      Path log = spareDir.resolve("logs").resolve("renderer-1.log");
      assertEquals(true, MainFixture.awaitState(
          () -> Files.readString(log).contains("renderer renderer-1 connected (pid " + sparePid + ")"), true));
    }
  }

  /** The spare's pid once it says in its log that it is ready (at most 60 s). */
  private static long awaitSpare(MainFixture main, Path spareLog) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      RendererInfo spare = main.node().renderers().renderers().stream()
          .filter(r -> r.rendererId().equals("spare")).findFirst().orElse(null);
      if (spare != null && Files.exists(spareLog)
          && Files.readString(spareLog).contains("spare renderer ready (pid " + spare.pid() + ")")) {
        return spare.pid();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no spare renderer ready within 60 s");
  }

  private static SystemEvent next(LinkedBlockingQueue<SystemEvent> events, String kind) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      SystemEvent e = events.poll(1, TimeUnit.SECONDS);
      if (e != null && kind.equals(e.kind())) {
        return e;
      }
    }
    assertNotNull(null, "no " + kind + " event");
    return null;
  }
}
