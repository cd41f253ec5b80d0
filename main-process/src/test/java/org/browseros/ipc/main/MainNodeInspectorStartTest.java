package org.browseros.ipc.main;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.browseros.ipc.main.inspector.InspectorServer;
import org.browseros.ipc.main.renderers.SleepingRendererMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * browseros.inspector.await-renderers: main's inspector starts off the start thread, once the
 * renderers launched at start have connected or the bound has passed, not while they start.
 */
@ExtendWith(LogCapturingExtension.class)
class MainNodeInspectorStartTest {

  @Test
  void shouldStartTheInspectorOnlyOnceTheBoundPassedWhileARendererHasNotConnected(@TempDir Path dir) throws Exception {
    Map<String, Object> overrides = InProcessMain.overrides(dir);
    overrides.put("browseros.inspector.port", 0);
    overrides.put("browseros.inspector.await-renderers", "4s");
    // A renderer that runs but never connects.
    overrides.put("browseros.renderers.count", 1);
    overrides.put("browseros.renderers.main-class", SleepingRendererMain.class.getName());
    overrides.put("browseros.renderers.jvm-options", List.of("-Xmx32m", "-XX:+UseSerialGC", "-Dsleeping.dir=" + dir));
    try (MainNode node = MainNode.start(MainConfig.load(overrides))) {
      long gatewayUp = System.nanoTime();
      Path url = dir.resolve(InspectorServer.URL_FILE);
      assertFalse(Files.exists(url), "no inspector while the renderer has not connected");

      InspectorServer inspector = node.inspector().orElseThrow();
      long waitedMillis = (System.nanoTime() - gatewayUp) / 1_000_000;
      assertTrue(waitedMillis >= 3_000, "started after the bound, not before: " + waitedMillis + " ms");
      assertTrue(Files.readString(url).strip().equals(inspector.url()), "its URL is published once started");
    }
  }
}
