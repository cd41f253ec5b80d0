package org.browseros.ipc.main.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The scripts a user runs, as OS processes: {@code scripts/main-process} and {@code scripts/ipc}. */
final class MainScript {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  private final Process process;
  private final List<String> output;
  private final String readyLine;

  private MainScript(Process process, List<String> output, String readyLine) {
    this.process = process;
    this.output = output;
    this.readyLine = readyLine;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** A script of the repository, run from its root on the build under test. */
  static ProcessBuilder script(String name, String... args) {
    List<String> command = new ArrayList<>();
    command.add(REPO.resolve("scripts").resolve(name).toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile());
    builder.environment().put("BROWSEROS_SKIP_BUILD", "1");
    return builder;
  }

  /**
   * Starts {@code scripts/main-process} in its own session and process group, as in a terminal (so
   * Ctrl-C can be sent to the group), and returns once it printed its ready line.
   */
  static MainScript start(String... args) throws Exception {
    return start(java.util.Map.of(), args);
  }

  /** {@link #start(String...)} with extra environment variables (e.g. {@code BROWSEROS_JAVA_OPTS}). */
  static MainScript start(java.util.Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("setsid"));
    command.addAll(script("main-process", args).command());
    ProcessBuilder builder = script("main-process", args).command(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    List<String> output = new CopyOnWriteArrayList<>();
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          output.add(line);
          if (line.contains("main process ready")) {
            ready.complete(line);
          }
        }
        ready.completeExceptionally(new AssertionError("main exited before ready: " + output));
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    }, "main-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new MainScript(process, output, ready.get(120, TimeUnit.SECONDS));
    } catch (Exception e) {
      kill(process);
      throw e;
    }
  }

  /** SIGKILL of main and everything it launched. */
  static void kill(Process process) throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  Process process() {
    return process;
  }

  /** Everything main printed so far (stdout and stderr), line by line. */
  List<String> output() {
    return output;
  }

  String readyLine() {
    return readyLine;
  }
}
