package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.browseros.ipc.main.gateway.ConnectionFigures;
import org.browseros.ipc.main.gateway.FlowControl;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renderer JVM stopped with SIGSTOP while main floods every renderer with broadcasts: main's
 * memory stays bounded (the stopped renderer's queue stops at the soft limit and the rest is
 * dropped), the console keeps being answered, and the renderer is resynced with a snapshot when it
 * resumes; stopped for good, it is detected by its missing heartbeats, killed and relaunched.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class SlowRendererEndToEndTest {

  record Blob(long seq, String data) {}

  static final Channel<Blob, Void> FLOOD = Channel.broadcast("test:flood", Blob.class);
  static final String PADDING = "x".repeat(256);
  static final FlowControl LIMITS = new FlowControl(400, 100, 1000);
  static final Duration INVOKE = Duration.ofSeconds(20);

  @TempDir
  static Path dataDir;

  @Test
  void shouldBoundMainsMemoryAndResyncOrRelaunchAStoppedRenderer() throws Exception {
    // Twenty silent seconds before main counts a stopped renderer as hung, and the renderers themselves
    // tolerate the stop (a renderer's own watchdog would otherwise take main for gone on resuming).
    // Lower flow-control limits than the defaults so that a gentle flood (the machine may be busy) fills them.
    Map<String, Object> config = Map.of("browseros.gateway.missed-heartbeats", 20,
        "browseros.gateway.flow-control.soft-limit", LIMITS.softLimit(),
        "browseros.gateway.flow-control.low-water", LIMITS.lowWater(),
        "browseros.gateway.flow-control.hard-limit", LIMITS.hardLimit(),
        "browseros.renderers.jvm-options", List.of("-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError", "-Dbrowseros.renderer.missed-heartbeats=30"));
    try (MainFixture main = MainFixture.start(dataDir, 2, new IpcMain(Duration.ofSeconds(5)), config)) {
      IpcRenderer console = patientConsole(main);
      IpcMain ipcMain = main.ipcMain();
      RendererInfo victim = main.renderer("renderer-1");
      long baseline = usedHeapAfterGc();
      AtomicBoolean flooding = new AtomicBoolean(true);
      AtomicLong broadcasts = new AtomicLong();
      // Warm up the journal and validation first: the first write of a fresh main is slow.
      await(console.invoke(Channels.WINDOW_CREATE, new WindowCreate("warm-up", null), INVOKE));
      // Broadcasts of 256 B to every renderer and the console: a burst over the soft limit, then
      // about 200 a second (gentle, as the machine running the test may be busy).
      Thread flood = new Thread(() -> {
        for (int i = 0; i < LIMITS.softLimit() + 100 && flooding.get(); i++) {
          ipcMain.broadcast(FLOOD, new Blob(broadcasts.incrementAndGet(), PADDING));
        }
        while (flooding.get()) {
          for (int i = 0; i < 10; i++) {
            ipcMain.broadcast(FLOOD, new Blob(broadcasts.incrementAndGet(), PADDING));
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
      }, "flood");
      flood.setDaemon(true);
      try {
        // 1. Stuck for a while, then resumed: it falls behind, is spared the flood, then resynced.
        signal("STOP", victim.pid());
        flood.start();
        ConnectionFigures figures = main.node().connections().figures("renderer-1").orElseThrow();
        until(() -> "renderer-1 counted as behind: queue " + figures.queueDepth() + ", dropped " + figures.dropped()
            + ", heartbeat " + figures.heartbeatAgeMillis() + " ms ago, " + broadcasts.get() + " broadcasts",
            Duration.ofSeconds(15), () -> figures.behind() && figures.dropped() > 0);
        WindowInfo window = await(console.invoke(Channels.WINDOW_CREATE, new WindowCreate("while stopped", null), INVOKE));
        FlowControl limits = LIMITS;
        assertTrue(figures.queueDepth() <= limits.hardLimit(), "queue depth " + figures.queueDepth());
        signal("CONT", victim.pid());
        until("renderer-1 caught up", Duration.ofSeconds(30), () -> !figures.behind());
        until("renderer-1 resynced with the window created while it was stopped", Duration.ofSeconds(30),
            () -> await(ipcMain.invoke("renderer-1", RendererChannels.RENDERER_INFO,
                new RendererChannels.RendererInfoQuery())).stateVersion() >= console.state().version()
                && console.state().windows().containsKey(window.windowId()));
        assertEquals(victim.pid(), main.renderer("renderer-1").pid(), "resumed, not relaunched");

        // 2. Stuck for good: its heartbeats stop, so main closes it and the supervisor relaunches it.
        signal("STOP", victim.pid());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        int answered = 0;
        long heapWhileStopped = usedHeapAfterGc();
        RendererInfo relaunched = main.renderer("renderer-1");
        while (relaunched.pid() == null || relaunched.pid().equals(victim.pid()) || !"connected".equals(relaunched.status())) {
          assertTrue(System.nanoTime() < deadline, "renderer-1 not relaunched: " + relaunched);
          // The others are answered all along.
          assertEquals("meanwhile " + answered,
              await(console.invoke(Channels.WINDOW_CREATE, new WindowCreate("meanwhile " + answered, null), INVOKE)).title());
          answered++;
          assertEquals("renderer-2", await(ipcMain.invoke("renderer-2", RendererChannels.RENDERER_INFO,
              new RendererChannels.RendererInfoQuery(), INVOKE)).rendererId());
          main.node().connections().figures("renderer-1").ifPresent(f ->
              assertTrue(f.queueDepth() <= limits.hardLimit(), "queue depth " + f.queueDepth()));
          relaunched = main.renderer("renderer-1");
        }
        heapWhileStopped = Math.max(heapWhileStopped, usedHeapAfterGc());
        flooding.set(false);
        flood.join(10_000);
        assertTrue(broadcasts.get() > LIMITS.hardLimit(), "flooded with " + broadcasts.get() + " broadcasts");
        assertTrue(answered > 0);
        assertNotEquals(victim.pid(), relaunched.pid());
        assertTrue(relaunched.restarts() >= 1);
        // Each renderer would have been sent ~1 KiB per broadcast: far more than this if queued.
        long growth = heapWhileStopped - baseline;
        assertTrue(growth < 64L * 1024 * 1024, "main's heap grew by " + growth / 1024 + " KiB while a renderer was stopped");

        long version = console.state().version();
        long rendererVersion = MainFixture.awaitState(() -> await(ipcMain.invoke("renderer-1",
            RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery())).stateVersion(), version);
        assertEquals(version, rendererVersion);

        // renderers:list carries the live figures (what scripts/ipc renderers and the inspector show).
        RendererInfo listed = await(console.invoke(Channels.RENDERERS_LIST,
            new org.browseros.ipc.protocol.renderers.RenderersQuery(), INVOKE)).renderers().stream()
            .filter(r -> r.rendererId().equals("renderer-1")).findFirst().orElseThrow();
        assertTrue(listed.heartbeatAgeMillis() != null && listed.queueDepth() != null && listed.dropped() != null,
            listed.toString());
        assertTrue(listed.queueDepth() <= LIMITS.hardLimit(), listed.toString());
        assertTrue(listed.rssBytes() != null && listed.rssBytes() > 1_000_000, listed.toString());
      } finally {
        flooding.set(false);
        // Never leave a stopped process behind.
        ProcessHandle.of(victim.pid()).ifPresent(p -> {
          signal("CONT", victim.pid());
          p.destroyForcibly();
        });
      }
    }
  }

  /** The fixture's console, but tolerant of slow acks: the machine running the test may be very busy. */
  private static IpcRenderer patientConsole(MainFixture main) throws Exception {
    var credential = org.browseros.ipc.protocol.PayloadCodec.parseJson(
        java.nio.file.Files.readString(main.node().dataDir().resolve("devtools.credential")));
    var system = main.track(org.apache.pekko.actor.typed.ActorSystem.create(
        org.apache.pekko.actor.typed.javadsl.Behaviors.<Void>empty(), "console", main.clientConfig()));
    IpcRenderer console = IpcRenderer.connect(system, org.browseros.ipc.renderer.ConnectOptions.of(system,
            credential.get("gateway").asText(), null, credential.get("secret").asText()).withMissedHeartbeats(30))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    console.state().ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return console;
  }

  private static void signal(String signal, long pid) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        throw new AssertionError("kill -" + signal + " " + pid + " did not finish");
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot run kill", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  private static void until(String what, Duration bound, Condition condition) throws Exception {
    until(() -> what, bound, condition);
  }

  private static void until(java.util.function.Supplier<String> what, Duration bound, Condition condition) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.holds()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("timed out waiting for: " + what.get(), last);
  }
}
