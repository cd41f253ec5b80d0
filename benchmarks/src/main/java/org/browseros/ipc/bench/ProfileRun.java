package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.main.MainNode;
import org.browseros.ipc.main.ipc.IpcMain;

/**
 * A main process and one bench client, for profiling one path at a time (JFR, jstack): runs the
 * bench client commands given as arguments ({@code _} for a space), e.g.
 * {@code events_100_1000000_1024 echo_100_20000_50000}, and prints each result. The client gets
 * {@code -Dclientopts=...} as extra JVM options, {@code -Drenderers=N} launches N renderers (their
 * start-up lines are printed at the end).
 */
public final class ProfileRun {
  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("browseros-profile");
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    Bench.registerHandlers(ipcMain, new ConcurrentHashMap<>());
    Map<String, Object> o = Bench.mainOverrides(work.resolve("main"), Integer.getInteger("renderers", 0), true);
    MainNode main = MainNode.start(MainConfig.load(o), ipcMain);
    List<String> jvm = new ArrayList<>(main.config().getStringList("browseros.renderers.jvm-options"));
    String extra = System.getProperty("clientopts", "");
    if (!extra.isBlank()) {
      jvm.addAll(Arrays.asList(extra.split(" ")));
    }
    try (ClientJvm c = ClientJvm.start(jvm, BenchClient.class, work.resolve("client.log"), work.resolve("main").toString())) {
      Thread.sleep(1000);
      for (String cmd : args) {
        long mainTicks = ProcStat.cpuTicks(ProcessHandle.current().pid());
        long clientTicks = ProcStat.cpuTicks(c.pid());
        JsonNode r = c.call(cmd.replace('_', ' '));
        mainTicks = ProcStat.cpuTicks(ProcessHandle.current().pid()) - mainTicks;
        clientTicks = ProcStat.cpuTicks(c.pid()) - clientTicks;
        System.out.println(cmd + " -> " + r);
        // CPU per event or round trip (warm-up included) is steadier than rates and latencies on a shared machine.
        String[] parts = cmd.split("_");
        double us = 1e6 / ProcStat.TICKS_PER_SECOND;
        if (r.has("nanos") && r.has("received")) {
          double n = r.get("received").asDouble() + (parts.length > 4 ? Double.parseDouble(parts[4]) : 0);
          System.out.printf("  %.0f msgs/s, CPU per event: main %.2f us, client %.2f us%n",
              r.get("received").asDouble() * 1e9 / r.get("nanos").asDouble(), mainTicks * us / n, clientTicks * us / n);
        } else if (r.has("count") && cmd.startsWith("echo")) {
          // echo*_<bytes>_<warmup>_<count>
          double n = Double.parseDouble(parts[2]) + Double.parseDouble(parts[3]);
          System.out.printf("  CPU per round trip: main %.0f us, client %.0f us%n", mainTicks * us / n, clientTicks * us / n);
        }
      }
    } finally {
      main.close();
      printRendererStartups(work);
      Bench.deleteQuietly(work);
    }
    System.exit(0);
  }

  private static void printRendererStartups(Path work) throws java.io.IOException {
    try (var files = Files.walk(work)) {
      for (Path log : files.filter(p -> p.getFileName().toString().matches("renderer-\\d+\\.log")).sorted().toList()) {
        Files.readAllLines(log).stream().filter(l -> l.contains("Start-up of renderer")).forEach(System.out::println);
      }
    }
  }
}
