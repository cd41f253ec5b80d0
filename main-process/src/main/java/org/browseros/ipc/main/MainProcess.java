package org.browseros.ipc.main;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scripts/main-process}: runs the main process and its renderers until Ctrl-C. */
@Command(
    name = "main-process",
    mixinStandardHelpOptions = true,
    description = "Runs the Browser OS IPC main process: core and edge actor systems, and the renderer JVMs it supervises.")
public final class MainProcess implements Callable<Integer> {

  @Option(names = "--data-dir", description = "Journal, logs and credentials (default: ./var).")
  Path dataDir;

  @Option(names = "--renderers", description = "How many renderer JVMs to launch (default: from config, 2).")
  Integer renderers;

  @Option(names = "--edge-port", description = "Loopback port renderers connect to (default 25520).")
  Integer edgePort;

  @Option(names = "--inspector-port", description = "Loopback port of the IPC inspector (default 25580; 0: any free port).")
  Integer inspectorPort;

  @Option(names = "--core-port", description = "Loopback port of the core cluster system (default 25521).")
  Integer corePort;

  public static void main(String[] args) {
    int exit = new CommandLine(new MainProcess()).execute(args);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    Map<String, Object> overrides = new HashMap<>();
    if (dataDir != null) {
      overrides.put("browseros.data-dir", dataDir.toAbsolutePath().toString());
    }
    if (renderers != null) {
      overrides.put("browseros.renderers.count", renderers);
    }
    if (edgePort != null) {
      overrides.put("browseros.edge.pekko.remote.artery.canonical.port", edgePort);
    }
    if (corePort != null) {
      overrides.put("browseros.core.pekko.remote.artery.canonical.port", corePort);
    }
    if (inspectorPort != null) {
      overrides.put("browseros.inspector.port", inspectorPort);
    }
    var config = MainConfig.load(overrides);
    MainLogging.useDataDir(Path.of(config.getString("browseros.data-dir")));
    MainNode node = MainNode.start(config);
    Duration readyTimeout = node.config().getDuration("browseros.ready-timeout");
    boolean allConnected = node.awaitRenderersConnected(readyTimeout);
    long connected = node.connectedLaunchedRenderers();
    System.out.printf("Browser OS IPC main process ready in %d ms: gateway %s, %d renderer(s) connected%s, data dir %s%n",
        Duration.ofNanos(System.nanoTime() - started).toMillis(), node.gatewayPath(), connected,
        allConnected ? "" : " (some did not connect in time: see the logs)", node.dataDir());
    node.inspector().ifPresent(inspector -> System.out.println("Inspector: " + inspector.url()));
    System.out.println("Console: scripts/ipc --data-dir " + node.dataDir() + " console    (Ctrl-C here stops everything)");
    System.out.flush();
    // CoordinatedShutdown runs on the JVM's shutdown hook (Ctrl-C): edge, then core, then renderers.
    node.coreSystem().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }
}
