package org.browseros.ipc.main.renderers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.browseros.ipc.main.MainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** browseros.renderers.cds-dir: the JVM options the supervisor adds for Class Data Sharing. */
class RendererClassDataSharingTest {

  private static final List<String> BASE = List.of("-Xmx128m", "-XX:+UseSerialGC");

  @Test
  void shouldLeaveTheOptionsAloneWithoutACdsDir() {
    assertEquals(BASE, RendererSupervisor.Settings.withClassDataSharing(BASE, ""));
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(MainConfig.load(Map.of()));
    assertTrue(settings.jvmOptions().stream().noneMatch(o -> o.contains("Shared") || o.contains("ClassList")),
        "no CDS option by default: " + settings.jvmOptions());
  }

  @Test
  void shouldRecordAClassListPerRendererWhileThereIsNoArchive(@TempDir Path dir) {
    List<String> options = RendererSupervisor.Settings.withClassDataSharing(BASE, dir.toString());
    assertEquals(BASE, options.subList(0, 2));
    assertEquals(List.of("-XX:DumpLoadedClassList=" + dir.resolve("renderer-{rendererId}.classlist")), options.subList(2, 3));
    assertEquals(3, options.size());
  }

  @Test
  void shouldMapTheArchiveOnceItExists(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("renderer.jsa"), "archive");
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(MainConfig.load(Map.of(
        "browseros.renderers.cds-dir", dir.toString())));
    assertEquals("-XX:SharedArchiveFile=" + dir.resolve("renderer.jsa"),
        settings.jvmOptions().get(settings.jvmOptions().size() - 1));
    assertTrue(settings.jvmOptions().stream().noneMatch(o -> o.contains("ClassList")), "no recording: " + settings.jvmOptions());
  }
}
