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
 * {@code -Dclientopts=...} as extra JVM options, {@code -Drenderers=N} launches N renderers.
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
        JsonNode r = c.call(cmd.replace('_', ' '));
        System.out.println(cmd + " -> " + r);
        if (r.has("nanos") && r.has("received")) {
          System.out.printf("  %.0f msgs/s%n", r.get("received").asDouble() * 1e9 / r.get("nanos").asDouble());
        }
      }
    } finally {
      main.close();
      Bench.deleteQuietly(work);
    }
    System.exit(0);
  }
}
