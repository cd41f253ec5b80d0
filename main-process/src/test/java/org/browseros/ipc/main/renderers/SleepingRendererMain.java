package org.browseros.ipc.main.renderers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * A stand-in renderer for supervisor tests. It records what it was launched with in
 * {@code <sleeping.dir>/<rendererId>-<pid>.properties} (including the launch secret, so that the
 * test can authenticate as the real renderer would), then exits with the code in
 * {@code <sleeping.dir>/<rendererId>.exit} if that file exists, or else sleeps until it is killed
 * or its parent dies. Launched as a spare, it first reads its id, secret and log file from stdin
 * (exiting at EOF), as RendererMain does.
 */
public final class SleepingRendererMain {
  private SleepingRendererMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    String id = System.getenv(RendererSupervisor.ENV_RENDERER_ID);
    String secret = System.getenv(RendererSupervisor.ENV_LAUNCH_SECRET);
    Path dir = Path.of(System.getProperty("sleeping.dir"));
    String parentPid = System.getenv(RendererSupervisor.ENV_PARENT_PID);
    String logFile = null;
    if ("1".equals(System.getenv(RendererSupervisor.ENV_SPARE))) {
      // A spare: says so, then takes its identity from stdin as RendererMain does; EOF: exit 0.
      System.out.println("sleeping spare " + ProcessHandle.current().pid() + " up");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      id = in.readLine();
      secret = in.readLine();
      logFile = in.readLine();
      if (logFile == null) {
        System.exit(0);
      }
    }

    // Never outlive the test JVM, even if it is killed without cleaning up.
    if (parentPid != null) {
      ProcessHandle.of(Long.parseLong(parentPid))
          .ifPresentOrElse(
              parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
              () -> Runtime.getRuntime().halt(0));
    }

    Properties seen = new Properties();
    seen.setProperty("id", String.valueOf(id));
    seen.setProperty("secret", String.valueOf(secret));
    seen.setProperty("spare", String.valueOf(logFile != null));
    seen.setProperty("logFile", String.valueOf(logFile));
    seen.setProperty("gateway", String.valueOf(System.getenv(RendererSupervisor.ENV_GATEWAY)));
    seen.setProperty("parentPid", String.valueOf(parentPid));
    seen.setProperty("pid", String.valueOf(ProcessHandle.current().pid()));
    seen.setProperty("configFile", String.valueOf(System.getProperty("config.file")));
    Path file = dir.resolve(id + "-" + ProcessHandle.current().pid() + ".properties");
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      seen.store(out, "launched");
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("sleeping renderer " + id + " up");

    Path exitFile = dir.resolve(id + ".exit");
    if (Files.exists(exitFile)) {
      System.exit(Integer.parseInt(Files.readString(exitFile).trim()));
    }
    while (true) {
      Thread.sleep(60_000);
    }
  }
}
