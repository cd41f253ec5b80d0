package org.browseros.ipc.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.protocol.PayloadCodec;

/** A child JVM the harness drives over stdin/stdout: a {@link BenchClient} or a baseline server. */
final class ClientJvm implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final BufferedWriter in;
  final String ready;

  private ClientJvm(Process process) throws IOException {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    String line;
    String found = null;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("READY")) {
        found = line.substring(5).trim();
        break;
      }
    }
    if (found == null) {
      process.destroyForcibly();
      throw new IOException("child JVM exited before it was ready (exit " + waitExit() + ")");
    }
    this.ready = found;
  }

  static ClientJvm start(List<String> jvmOptions, Class<?> mainClass, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(forwardedProperties());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new ClientJvm(p);
  }

  /** The harness's {@code -Dconfig.file} (a tuning experiment) applies to every JVM it starts, as main's supervisor does. */
  static List<String> forwardedProperties() {
    String configFile = System.getProperty("config.file");
    return configFile == null ? List.of() : List.of("-Dconfig.file=" + configFile);
  }

  long pid() {
    return process.pid();
  }

  /** Sends a command line and waits for its {@code RESULT} line. */
  synchronized JsonNode call(String command) throws IOException {
    in.write(command);
    in.newLine();
    in.flush();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("RESULT ")) {
        return PayloadCodec.parseJson(line.substring(7));
      }
    }
    throw new IOException("child JVM exited during '" + command + "'");
  }

  private int waitExit() {
    try {
      return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    try {
      in.write("quit");
      in.newLine();
      in.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
