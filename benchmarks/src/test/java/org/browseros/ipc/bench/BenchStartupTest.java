package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The start-up rows start main as a user does: through scripts/main-process, not a bare JVM. */
class BenchStartupTest {

  @Test
  void shouldFindTheLauncherOfThisCheckout() {
    Path launcher = Bench.launcher();
    assertTrue(launcher != null && launcher.endsWith(Path.of("scripts", "main-process")), "launcher: " + launcher);
  }

  @Test
  @Timeout(30)
  void shouldRunTheLauncherAndReadGatewayReadyAndRendererTimes(@TempDir Path dir) throws Exception {
    // A stand-in for scripts/main-process: logs what it was run with, then prints what main prints.
    Path script = dir.resolve("main-process");
    Files.writeString(script, String.join("\n",
        "#!/usr/bin/env bash",
        "echo \"$* SKIP=$BROWSEROS_SKIP_BUILD AOT=${BROWSEROS_AOT:-}\" > \"" + dir.resolve("args") + "\"",
        "log=\"$2/logs/main.log\"; mkdir -p \"$2/logs\"",
        "stamp() { date '+%Y-%m-%d %H:%M:%S,%3N'; }",
        "echo \"$(stamp) INFO  [main] o.b.i.m.MainNode {} - Gateway up at [pekko://edge@127.0.0.1:1/user/gateway]\" >> \"$log\"",
        "echo \"$(stamp) INFO  [x] o.b.i.m.r.RendererSupervisor {} - Launched renderer [renderer-1] capability [shell]\" >> \"$log\"",
        "echo \"$(stamp) INFO  [x] o.b.i.m.r.RendererSupervisor {} - Launched renderer [renderer-2] capability [web]\" >> \"$log\"",
        "sleep 0.3",
        "echo \"$(stamp) INFO  [x] o.b.i.m.r.RendererSupervisor {} - Renderer [renderer-1] connected (pid [1])\" >> \"$log\"",
        "echo 'Browser OS IPC main process ready in 1 ms'",
        "sleep 0.2",
        "echo \"$(stamp) INFO  [x] o.b.i.m.r.RendererSupervisor {} - Renderer [renderer-2] connected (pid [2])\" >> \"$log\"",
        "exec sleep 30", ""));
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

    Bench.StartupRun run = Bench.startOnce(script, dir.resolve("data"), Map.of("BROWSEROS_AOT", "on"));

    assertEquals("--data-dir " + dir.resolve("data") + " --renderers 2 --edge-port 0 --core-port 0 --inspector-port 0 SKIP=1 AOT=on",
        Files.readString(dir.resolve("args")).trim());
    assertTrue(run.gatewayMs() >= 0 && run.readyMs() >= run.gatewayMs(), run.toString());
    assertEquals(2, run.rendererMs().size(), "both, also the one logged after the ready line: " + run);
    assertTrue(run.rendererMs().stream().allMatch(ms -> ms >= 250 && ms < 5000), run.toString());
  }

  @Test
  void shouldFindTheNthSparesPidInMainsLogAndARenderersPidInRenderersJson(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("main.log");
    assertNull(Bench.nthSparePid(log, 1), "no log yet");
    Files.writeString(log, String.join("\n",
        "2026-11-26 12:32:58,251 INFO  [x] o.b.i.m.r.RendererSupervisor {} - Launched a spare renderer pid [101]",
        "2026-11-26 12:33:27,848 INFO  [x] o.b.i.m.r.RendererSupervisor {} - Launched renderer [renderer-1] capability "
            + "[shell] pid [101] (restarts [1]) as the spare launched 29596 ms before",
        "2026-11-26 12:33:29,948 INFO  [x] o.b.i.m.r.RendererSupervisor {} - Launched a spare renderer pid [202]", ""));
    assertEquals(101L, Bench.nthSparePid(log, 1));
    assertEquals(202L, Bench.nthSparePid(log, 2));
    assertNull(Bench.nthSparePid(log, 3));

    Files.writeString(dir.resolve("renderers.json"),
        "{\"renderers\":[{\"id\":\"renderer-1\",\"pid\":11},{\"id\":\"renderer-2\",\"pid\":22}]}");
    assertEquals(22L, Bench.rendererPid(dir, "renderer-2"));
    assertThrows(IOException.class, () -> Bench.rendererPid(dir, "renderer-3"));
  }
}
