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
    assertEquals(BASE, RendererSupervisor.Settings.withClassDataSharing(BASE, "", false));
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(MainConfig.load(Map.of()));
    assertTrue(settings.jvmOptions().stream().noneMatch(o -> o.contains("Shared") || o.contains("ClassList")),
        "no CDS option by default: " + settings.jvmOptions());
  }

  @Test
  void shouldRecordAClassListPerRendererWhileThereIsNoArchive(@TempDir Path dir) {
    List<String> options = RendererSupervisor.Settings.withClassDataSharing(BASE, dir.toString(), false);
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

  @Test
  void shouldRecordAnAotConfigurationPerRendererWhileThereIsNoAotCache(@TempDir Path dir) {
    List<String> options = RendererSupervisor.Settings.withClassDataSharing(BASE, dir.toString(), true);
    assertEquals(BASE, options.subList(0, 2));
    assertEquals(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + dir.resolve("renderer-{rendererId}.aotconf"),
        "-Xlog:aot*=error"), options.subList(2, options.size()));
  }

  @Test
  void shouldGiveARecordingRendererTimeToWriteItsAotConfigurationAtExit(@TempDir Path dir) throws Exception {
    Map<String, Object> aot = Map.of("browseros.renderers.cds-dir", dir.toString(), "browseros.renderers.aot-cache", "on");
    assertEquals(java.time.Duration.ofSeconds(10),
        RendererSupervisor.Settings.fromConfig(MainConfig.load(aot)).stopTimeout(), "recording");
    Files.writeString(dir.resolve("renderer.aot"), "cache");
    assertEquals(java.time.Duration.ofSeconds(2),
        RendererSupervisor.Settings.fromConfig(MainConfig.load(aot)).stopTimeout(), "the configured one once the cache exists");
  }

  @Test
  void shouldUseTheAotCacheOnceItExistsAndNoAppCdsArchive(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("renderer.aot"), "cache");
    Files.writeString(dir.resolve("renderer.jsa"), "archive");
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(MainConfig.load(Map.of(
        "browseros.renderers.cds-dir", dir.toString(), "browseros.renderers.aot-cache", "on")));
    assertEquals("-XX:AOTCache=" + dir.resolve("renderer.aot"), settings.jvmOptions().get(settings.jvmOptions().size() - 1));
    assertTrue(settings.jvmOptions().stream().noneMatch(o -> o.contains("Shared") || o.contains("AOTMode")),
        "neither AppCDS nor recording: " + settings.jvmOptions());
  }

  @Test
  void shouldAllowUnsafeMemoryAccessOnlyFromJdk23() {
    assertEquals(BASE, RendererSupervisor.Settings.forRuntime(BASE, 17));
    assertEquals(List.of("-Xmx128m", "-XX:+UseSerialGC", "--sun-misc-unsafe-memory-access=allow"),
        RendererSupervisor.Settings.forRuntime(BASE, 23));
    assertEquals(List.of("-Xmx128m", "-XX:+UseSerialGC", "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED"), RendererSupervisor.Settings.forRuntime(BASE, 25));
    List<String> configured = List.of("--sun-misc-unsafe-memory-access=warn");
    assertEquals(configured, RendererSupervisor.Settings.forRuntime(configured, 23), "a configured value is kept");
    RendererSupervisor.Settings settings = RendererSupervisor.Settings.fromConfig(MainConfig.load(Map.of()));
    assertEquals(Runtime.version().feature() >= 23,
        settings.jvmOptions().contains("--sun-misc-unsafe-memory-access=allow"), "on main's own runtime: " + settings.jvmOptions());
  }
}
