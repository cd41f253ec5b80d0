package org.browseros.ipc.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load run, short: real renderer JVMs launched by main, mixed invokes and events, then every
 * acknowledged write checked against main's state, live and after a restart of main.
 */
class LoadTest {

  @Test
  @Timeout(600)
  void shouldLoseNoAcknowledgedWriteUnderLoadFromEightRenderers() throws Exception {
    LoadResult r = LoadRun.run(LoadRun.Options.defaults().withDuration(Duration.ofSeconds(15)).withRenderers(8));
    System.out.println(r.render());

    assertEquals(8, r.renderersThatRan().size(), "every renderer ran the load: " + r.renderersThatRan());
    assertTrue(r.acknowledgedWrites() >= 100, "acknowledged writes: " + r.acknowledgedWrites());
    assertEquals(0, r.lostLive(), "lost acknowledged writes (live): " + r.lostExamples());
    assertEquals(0, r.lostAfterRestart(), "lost acknowledged writes (after restart): " + r.lostExamples());
    long failed = r.errorsByCode().entrySet().stream().filter(e -> !e.getKey().equals("RATE_LIMITED"))
        .mapToLong(java.util.Map.Entry::getValue).sum();
    assertTrue(failed <= Math.max(10, r.invokes() / 50), "errors beyond rate limiting: " + r.errorsByCode());
    if (r.errorsByCode().isEmpty() && r.restarts() == 0) {
      assertEquals(r.eventsSent(), r.eventsReceived(), "every one-way event reached ipcMain.on");
    }
  }

  @Test
  @Timeout(600)
  void shouldLoseNoAcknowledgedWriteWhileRenderersAreKilledWithSigkill() throws Exception {
    LoadResult r = LoadRun.run(LoadRun.Options.defaults().withDuration(Duration.ofSeconds(20)).withRenderers(4)
        .withKillEvery(Duration.ofSeconds(3)));
    System.out.println(r.render());

    assertTrue(r.kills() >= 3, "renderers killed: " + r.kills());
    assertTrue(r.restarts() >= r.kills(), "every killed renderer was relaunched: " + r.restarts());
    assertEquals(0, r.givenUp());
    assertTrue(r.cutShortWithAcks() >= 1, "killed renderers' acknowledged writes are in the check: " + r.cutShortWithAcks());
    assertTrue(r.acknowledgedWrites() >= 50, "acknowledged writes: " + r.acknowledgedWrites());
    assertEquals(0, r.lostLive(), "lost acknowledged writes (live): " + r.lostExamples());
    assertEquals(0, r.lostAfterRestart(), "lost acknowledged writes (after restart): " + r.lostExamples());
  }
}
