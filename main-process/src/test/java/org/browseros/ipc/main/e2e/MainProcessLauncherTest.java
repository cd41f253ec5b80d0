package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The java command line {@code scripts/main-process} builds for class sharing: AppCDS by default,
 * JDK 25's AOT cache with {@code BROWSEROS_AOT=on}. Runs a copy of the scripts against packaged-looking
 * modules and a stand-in {@code JAVA_HOME/bin/java} that logs its arguments (and writes the archive a
 * dump asks for), so no JVM starts.
 */
@Timeout(60)
class MainProcessLauncherTest {

  @TempDir
  Path home;

  private Path calls;
  private Path data;

  @Test
  void shouldRecordThenCreateThenUseAnAotCacheOnJdk25() throws Exception {
    setUp("25.0.3");
    Path cds = data.resolve("cds");

    String first = launch(Map.of("BROWSEROS_AOT", "on"));
    assertTrue(first.contains("-XX:AOTMode=record -XX:AOTConfiguration=" + cds.resolve("main.aotconf")), first);
    assertTrue(first.contains("-Dbrowseros.renderers.cds-dir=" + cds + " -Dbrowseros.renderers.aot-cache=on"), first);
    assertTrue(first.contains("--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"), first);
    assertFalse(first.contains("SharedArchiveFile") || first.contains("DumpLoadedClassList"), first);

    // What the first start's JVMs would have written at their exit.
    Files.writeString(cds.resolve("main.aotconf"), "recorded");
    Files.writeString(cds.resolve("renderer-renderer-1.aotconf"), "recorded");
    launch(Map.of("BROWSEROS_AOT", "on"));
    awaitFile(cds.resolve("main.aot"));
    awaitFile(cds.resolve("renderer.aot"));
    List<String> creates = calls().stream().filter(c -> c.contains("-XX:AOTMode=create")).toList();
    assertEquals(2, creates.size(), calls().toString());
    assertTrue(creates.stream().anyMatch(c -> c.matches(".*-XX:AOTConfiguration=\\S*/main\\.dumping\\.\\d+\\.aotconf "
        + "-XX:AOTCache=\\S*/main\\.dumping\\.\\d+\\.aot -cp \\S*main-process-0\\.1\\.0\\.jar:\\S*dep\\.jar")), creates.toString());

    // The second start's JVM, still recording while the cache was created, writes its configuration at exit.
    Files.writeString(cds.resolve("main.aotconf"), "recorded");
    String third = launch(Map.of("BROWSEROS_AOT", "on"));
    assertTrue(third.contains("-XX:AOTCache=" + cds.resolve("main.aot")), third);
    assertFalse(third.contains("AOTMode=record"), third);
    assertFalse(Files.exists(cds.resolve("main.aotconf")), "recorded configurations are removed once the cache exists");
  }

  @Test
  void shouldKeepAppCdsWithoutTheOptInAndOnJdk17() throws Exception {
    setUp("25.0.3");
    String jdk25 = launch(Map.of());
    assertTrue(jdk25.contains("-XX:DumpLoadedClassList=" + data.resolve("cds/main.classlist")), jdk25);
    assertTrue(jdk25.contains("--sun-misc-unsafe-memory-access=allow"), jdk25);
    assertFalse(jdk25.contains("AOT") || jdk25.contains("aot-cache"), jdk25);

    Files.writeString(home.resolve("jdk/release"), "JAVA_VERSION=\"17.0.13\"\n");
    String jdk17 = launch(Map.of("BROWSEROS_AOT", "on"));
    assertTrue(jdk17.contains("-XX:DumpLoadedClassList="), jdk17);
    assertFalse(jdk17.contains("AOT") || jdk17.contains("sun-misc-unsafe") || jdk17.contains("native-access"),
        "JDK 17: neither: " + jdk17);
    assertTrue(Files.readString(home.resolve("stderr.log")).contains("BROWSEROS_AOT=on needs a JDK 25"));
  }

  private void setUp(String javaVersion) throws IOException {
    Files.createDirectories(home.resolve("scripts"));
    for (String script : List.of("main-process", "_common.sh")) {
      Files.copy(MainScript.REPO.resolve("scripts").resolve(script), home.resolve("scripts").resolve(script));
    }
    Path dep = Files.writeString(Files.createDirectories(home.resolve("lib")).resolve("dep.jar"), "jar");
    Instant built = Instant.now().minusSeconds(60);
    for (String module : List.of("main-process", "renderer-process")) {
      Path target = Files.createDirectories(home.resolve(module).resolve("target/classes"));
      Files.writeString(target.resolve("A.class"), "class");
      Files.setLastModifiedTime(target.resolve("A.class"), FileTime.from(built.minusSeconds(10)));
      Files.setLastModifiedTime(Files.writeString(target.resolveSibling(module + "-0.1.0.jar"), "jar"), FileTime.from(built));
      Files.writeString(target.resolveSibling("classpath.txt"), dep.toString());
    }
    Files.setLastModifiedTime(dep, FileTime.from(built));
    Path java = Files.createDirectories(home.resolve("jdk/bin")).resolve("java");
    Files.writeString(java, String.join("\n",
        "#!/usr/bin/env bash",
        "printf '%s\\n' \"$*\" >> \"$(dirname \"$0\")/../../calls.log\"",
        "for a in \"$@\"; do",
        "  case \"$a\" in -XX:AOTCache=*dumping*) echo cache > \"${a#-XX:AOTCache=}\" ;;",
        "    -XX:SharedArchiveFile=*dumping*) echo archive > \"${a#-XX:SharedArchiveFile=}\" ;; esac",
        "done", ""), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(home.resolve("jdk/release"), "JAVA_VERSION=\"" + javaVersion + "\"\n");
    calls = home.resolve("calls.log");
    data = home.resolve("data");
  }

  /** Runs the launcher; returns the command line it ran main with. */
  private String launch(Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(home.resolve("scripts/main-process").toString(), "--data-dir", data.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.appendTo(home.resolve("stderr.log").toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("BROWSEROS_"));
    builder.environment().put("BROWSEROS_SKIP_BUILD", "1");
    builder.environment().put("BROWSEROS_CDS_DUMP_DELAY", "0");
    builder.environment().put("JAVA_HOME", home.resolve("jdk").toString());
    builder.environment().putAll(env);
    int before = calls().size();
    Process process = builder.start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "launcher ended");
    assertEquals(0, process.exitValue(), Files.readString(home.resolve("stderr.log")));
    List<String> all = calls();
    return all.subList(before, all.size()).stream().filter(c -> c.contains("MainProcess")).findFirst()
        .orElseThrow(() -> new AssertionError("main not run: " + all));
  }

  private List<String> calls() throws IOException {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  private static void awaitFile(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(Files.exists(file), "created in the background: " + file);
  }
}
