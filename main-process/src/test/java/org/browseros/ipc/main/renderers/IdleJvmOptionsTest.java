package org.browseros.ipc.main.renderers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.MainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM options for idle CPU (docs/PERFORMANCE.md, "Fourth round: idle CPU"), of renderers (browseros.renderers.jvm-options)
 * and of main (scripts/_common.sh): this JDK accepts them, and in an idle JVM started with them the
 * monitor deflation thread wakes about once a second (default: every 250 ms) and the VM thread does
 * not wake for periodic safepoint checks (default: every second). Linux only (/proc).
 */
class IdleJvmOptionsTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @Test
  void shouldKeepAnIdleRendererJvmsHousekeepingThreadsAsleep(@TempDir Path dir) throws Exception {
    List<String> options = MainConfig.load(Map.of("browseros.data-dir", dir.toString()))
        .getStringList("browseros.renderers.jvm-options");
    Map<String, Long> wakeUps = idleWakeUps(options, dir);
    assertTrue(wakeUps.get("Monitor Deflati") <= 8, "monitor deflation wake-ups in 4 s: " + wakeUps);
    assertTrue(wakeUps.get("VM Thread") <= 2, "VM thread wake-ups in 4 s: " + wakeUps);
  }

  @Test
  void shouldKeepAnIdleMainJvmsHousekeepingThreadsAsleep(@TempDir Path dir) throws Exception {
    Process shell = new ProcessBuilder("bash", "-c", "source scripts/_common.sh && browseros_main_idle_jvm_opts")
        .directory(REPO.toFile()).redirectErrorStream(true).start();
    String out = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(shell.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, shell.exitValue(), out);
    List<String> options = new ArrayList<>(List.of("-Xmx512m"));
    options.addAll(Arrays.asList(out.split("\\s+")));
    Map<String, Long> wakeUps = idleWakeUps(options, dir);
    assertTrue(wakeUps.get("Monitor Deflati") <= 8, "monitor deflation wake-ups in 4 s: " + wakeUps);
    assertTrue(wakeUps.get("VM Thread") <= 2, "VM thread wake-ups in 4 s: " + wakeUps);
    // G1's service thread: remembered-set sampling once a second instead of every 300 ms (and its
    // periodic-GC check, once a second by default): at most about 2 a second, 4.3 by default.
    assertTrue(wakeUps.getOrDefault("G1 Service", 0L) <= 10, "G1 service wake-ups in 4 s: " + wakeUps);
  }

  /** Voluntary context switches per JVM thread name over 4 s of an idle JVM started with the options. */
  private static Map<String, Long> idleWakeUps(List<String> options, Path dir) throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options);
    command.add("-Dsleeping.dir=" + dir);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(SleepingRendererMain.class.getName());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put(RendererSupervisor.ENV_RENDERER_ID, "idle-options");
    builder.environment().put(RendererSupervisor.ENV_PARENT_PID, String.valueOf(ProcessHandle.current().pid()));
    Process jvm = builder.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.contains("sleeping renderer idle-options up")) {
        seen.append(line).append('\n');
      }
      assertTrue(line != null, "the JVM did not start with " + options + ":\n" + seen);
      // Past the start's own safepoints and compilations; then a window of 4 s.
      Thread.sleep(2000);
      Map<String, Long> before = switches(jvm.pid());
      Thread.sleep(4000);
      Map<String, Long> after = switches(jvm.pid());
      Map<String, Long> delta = new HashMap<>();
      after.forEach((name, n) -> delta.put(name, n - before.getOrDefault(name, 0L)));
      return delta;
    } finally {
      jvm.destroyForcibly();
      jvm.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Voluntary context switches per thread name (/proc truncates names to 15 characters). */
  private static Map<String, Long> switches(long pid) throws IOException {
    Map<String, Long> byName = new HashMap<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        String name = null;
        long n = 0;
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("Name:")) {
              name = line.substring(5).trim();
            } else if (line.startsWith("voluntary_ctxt_switches:")) {
              n = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        } catch (IOException e) {
          continue; // the thread ended
        }
        if (name != null) {
          byName.merge(name, n, Long::sum);
        }
      }
    }
    return byName;
  }
}
