package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch scripts' "build once if needed" step ({@code scripts/_common.sh}), in a copy of the
 * repository's layout with {@code mvn} replaced by a stub that records its call: the scripts run
 * under {@code set -euo pipefail}, where a failing step ends the launch without a word.
 */
class BuildIfNeededTest {

  private static Path layout(Path home, int sources) throws IOException {
    Files.createDirectories(home.resolve("scripts"));
    Files.copy(MainScript.REPO.resolve("scripts/_common.sh"), home.resolve("scripts/_common.sh"));
    Files.writeString(home.resolve("pom.xml"), "<project/>");
    for (String module : new String[] {"protocol", "renderer-process", "main-process"}) {
      Files.createDirectories(home.resolve(module).resolve("src/main/java"));
      Files.writeString(home.resolve(module).resolve("pom.xml"), "<project/>");
    }
    for (int i = 0; i < sources; i++) {
      Files.writeString(home.resolve("protocol/src/main/java/Source" + i + "WithALongishNameForTheListing.java"), "class X {}");
    }
    Path stamp = home.resolve("main-process/target/browseros-build.stamp");
    Files.createDirectories(stamp.getParent());
    Files.writeString(stamp, "");
    return stamp;
  }

  /**
   * Runs the step as the launch scripts do (a plain statement, so errexit applies), with a stub
   * {@code mvn} first on the PATH that records it ran; returns the exit code and the output.
   */
  private static String[] run(Path home) throws Exception {
    Path bin = Files.createDirectories(home.resolve("bin"));
    Path mvn = bin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\ntouch \"" + home.resolve("mvn-called") + "\"\n");
    assertTrue(mvn.toFile().setExecutable(true));
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source scripts/_common.sh; browseros_build_if_needed; echo built");
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().remove("BROWSEROS_SKIP_BUILD");
    Process shell = pb.directory(home.toFile()).redirectErrorStream(true).start();
    String out = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(shell.waitFor(60, TimeUnit.SECONDS), "the step finished");
    return new String[] {String.valueOf(shell.exitValue()), out};
  }

  @Test
  void shouldBuildWhenManySourcesChangedSinceTheLastBuild(@TempDir Path home) throws Exception {
    // Thousands of changed files (a pull, a branch switch): their listing is far larger than a pipe's buffer.
    Path stamp = layout(home, 3_000);
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    String[] result = run(home);
    assertEquals("0", result[0], result[1]);
    assertTrue(result[1].contains("built"), result[1]);
    assertTrue(Files.exists(home.resolve("mvn-called")), "Maven ran: " + result[1]);
  }

  @Test
  void shouldNotBuildWhenNothingChanged(@TempDir Path home) throws Exception {
    Path stamp = layout(home, 10);
    Files.setLastModifiedTime(stamp, FileTime.from(Instant.now().plusSeconds(60)));
    String[] result = run(home);
    assertEquals("0", result[0], result[1]);
    assertTrue(result[1].contains("built"), result[1]);
    assertFalse(Files.exists(home.resolve("mvn-called")), "Maven did not run: " + result[1]);
  }
}
