package org.browseros.ipc.main;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.LightArrayRevolverScheduler;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.browseros.ipc.protocol.DueTimeScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schedulers of main's two actor systems (idle CPU, docs/PERFORMANCE.md, "Fourth round: idle CPU"): both sleep until
 * a timer is due; the core's fires the timers due within one 100 ms slot together (at most one slot
 * late, as its tick scheduler did), and its cluster runs on it rather than on a scheduler of its own.
 */
@ExtendWith(LogCapturingExtension.class)
class MainNodeSchedulerTest {

  @Test
  void shouldRunBothSystemsAndTheClusterOnDueTimeSchedulers(@TempDir Path dir) throws Exception {
    Map<String, Object> overrides = InProcessMain.overrides(dir);
    overrides.put("browseros.inspector.enabled", false);
    overrides.put("browseros.renderers.count", 0);
    try (MainNode node = MainNode.start(MainConfig.load(overrides))) {
      Scheduler core = node.coreSystem().classicSystem().scheduler();
      assertTrue(core instanceof DueTimeScheduler, "core: " + core);
      assertEquals(10.0, core.maxFrequency(), "100 ms slots");
      assertTrue(node.edgeSystem().classicSystem().scheduler() instanceof DueTimeScheduler);
      assertEquals(1000.0, node.edgeSystem().classicSystem().scheduler().maxFrequency(), "the edge's timers unslotted");

      Cluster cluster = Cluster.get(Adapter.toClassic(node.coreSystem()));
      assertFalse(cluster.scheduler() instanceof LightArrayRevolverScheduler, "no dedicated cluster scheduler");
      // Its periodic tasks (leader actions) still move the node to Up.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (cluster.selfMember().status() != MemberStatus.up() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
    }
  }
}
