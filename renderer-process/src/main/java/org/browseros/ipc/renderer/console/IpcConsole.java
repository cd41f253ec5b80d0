package org.browseros.ipc.renderer.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.browseros.ipc.renderer.RendererConfig;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.ArgumentCompleter;
import org.jline.reader.impl.completer.NullCompleter;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code scripts/ipc}: a debug console that connects to main like a renderer (with the devtools
 * credential main writes to {@code <data-dir>/devtools.credential}) and invokes, sends, listens
 * and shows state. Results go to stdout as JSON lines; logs go to stderr.
 */
@Command(
    name = "ipc",
    mixinStandardHelpOptions = true,
    description = "Talk to a running Browser OS main process over IPC.",
    subcommands = CommandLine.HelpCommand.class)
public final class IpcConsole implements java.util.concurrent.Callable<Integer> {
  static final String CREDENTIAL_FILE = "devtools.credential";
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  private static final List<String> OPS = List.of("invoke", "send", "state", "renderers", "listen", "log", "help", "exit");

  @Spec CommandSpec spec;

  @Option(names = "--data-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
      description = "Main's data directory (default: $BROWSEROS_DATA_DIR, else ./var).")
  Path dataDir;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Invoke timeout, e.g. 5s, 500ms (default: browseros.renderer.invoke-timeout).")
  Duration timeout;

  private final InputStream in;

  public IpcConsole() {
    this(System.in);
  }

  /** @param in where {@code console --json} reads its commands */
  public IpcConsole(InputStream in) {
    this.in = in;
  }

  public static void main(String[] args) {
    quietLogging();
    System.exit(new CommandLine(new IpcConsole()).execute(args));
  }

  /** Only warnings and errors, and on stderr (logback.xml): stdout is for results. */
  private static void quietLogging() {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  // --- subcommands -----------------------------------------------------------------------------

  @Command(name = "invoke", description = "Invoke CHANNEL with a JSON payload and print the reply.")
  int invoke(
      @Parameters(index = "0", paramLabel = "CHANNEL") String channel,
      @Parameters(index = "1", arity = "0..1", paramLabel = "JSON") String json) {
    return withSession(session -> {
      JsonNode reply = session.invoke(channel, parse(json));
      print(reply);
      return 0;
    });
  }

  @Command(name = "send", description = "Send a one-way message on CHANNEL.")
  int send(
      @Parameters(index = "0", paramLabel = "CHANNEL") String channel,
      @Parameters(index = "1", arity = "0..1", paramLabel = "JSON") String json) {
    return withSession(session -> {
      print(session.send(channel, parse(json)));
      return 0;
    });
  }

  @Command(name = "listen", description = "Print inbound envelopes as JSON lines.")
  int listen(
      @Parameters(arity = "0..*", paramLabel = "CHANNEL", description = "Only these channels (default: all).")
          List<String> channels,
      @Option(names = "--count", paramLabel = "N", description = "Stop after N envelopes.") Integer count) {
    Set<String> only = channels == null ? Set.of() : new HashSet<>(channels);
    return withSession(session -> {
      CountDownLatch done = new CountDownLatch(1);
      AtomicInteger seen = new AtomicInteger();
      AtomicReference<Integer> status = new AtomicReference<>(0);
      session.ipc().onEnvelope(e -> {
        if ((only.isEmpty() || only.contains(e.channel())) && (count == null || seen.get() < count)) {
          print(envelopeJson(e));
          if (count != null && seen.incrementAndGet() >= count) {
            done.countDown();
          }
        }
      });
      session.ipc().onDisconnect(() -> {
        status.set(1);
        printError(IpcError.of(ErrorCode.CONNECTION, "Connection to main lost"));
        done.countDown();
      });
      done.await();
      return status.get();
    });
  }

  @Command(name = "state", description = "Print the synchronized state snapshot.")
  int state() {
    return withSession(session -> {
      print(session.state());
      return 0;
    });
  }

  @Command(name = "renderers", description = "List renderers (renderers:list).")
  int renderers() {
    return withSession(session -> {
      print(session.invoke(Channels.RENDERERS_LIST.name(), JsonNodeFactory.instance.objectNode()));
      return 0;
    });
  }

  @Command(name = "stats", description = "Print the profiler's figures per channel (the inspector's /api/stats) as JSON.")
  int stats() {
    return withInspector(inspector -> {
      print(inspector.get("/api/stats"));
      return 0;
    });
  }

  @Command(name = "monitor", description = "Live tail of the messages crossing main's edge (from the inspector).")
  int monitor(
      @Option(names = "--channel", paramLabel = "GLOB", description = "Only channels matching GLOB, e.g. tab:*") String channel,
      @Option(names = "--renderer", paramLabel = "ID", description = "Only this renderer.") String renderer,
      @Option(names = "--type", paramLabel = "TYPE", description = "Only COMMAND, EVENT, ERROR, STATE_UPDATE or SYSTEM_EVENT.")
          String type,
      @Option(names = "--count", paramLabel = "N", description = "Stop after N messages.") Integer count,
      @Option(names = "--json", description = "One JSON object per line instead of a readable line.") boolean json) {
    java.util.Map<String, String> filter = new java.util.LinkedHashMap<>();
    if (channel != null) {
      filter.put("channel", channel);
    }
    if (renderer != null) {
      filter.put("renderer", renderer);
    }
    if (type != null) {
      filter.put("type", type);
    }
    return withInspector(inspector -> {
      AtomicInteger seen = new AtomicInteger();
      inspector.feed(filter, message -> {
        if (json) {
          print(message);
        } else {
          PrintWriter out = spec.commandLine().getOut();
          out.println(InspectorClient.human(message));
          out.flush();
        }
        return count == null || seen.incrementAndGet() < count;
      });
      return 0;
    });
  }

  @Command(name = "log", description = "Switch message logging of channels matching GLOB on or off at runtime "
      + "(main's log org.browseros.ipc.monitor.messages); without arguments, print the globs logged now.")
  int log(
      @Parameters(index = "0", arity = "0..1", paramLabel = "GLOB", description = "e.g. tab:* or *") String glob,
      @Parameters(index = "1", arity = "0..1", paramLabel = "on|off") String onOff) {
    return withInspector(inspector -> {
      print(glob == null ? inspector.get("/api/logging") : inspector.logging(glob, onOff(onOff)));
      return 0;
    });
  }

  private static boolean onOff(String value) {
    if ("on".equals(value)) {
      return true;
    }
    if ("off".equals(value)) {
      return false;
    }
    throw new IpcException(ErrorCode.VALIDATION, "Expected on or off after the channel glob, got " + value);
  }

  @FunctionalInterface
  private interface InspectorBody {
    int run(InspectorClient inspector) throws Exception;
  }

  private int withInspector(InspectorBody body) {
    try {
      return body.run(InspectorClient.fromDataDir(dataDir()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    } catch (Exception e) {
      printError(IpcException.errorOf(e));
      return 1;
    }
  }

  @Command(name = "console", description = "Interactive console (or, with --json, one JSON command per stdin line).")
  int console(
      @Option(names = "--json",
          description = "Read {\"op\":\"invoke\",\"channel\":...,\"payload\":{...}} lines; answer one JSON line each.")
          boolean json) {
    return withSession(session -> json ? jsonLoop(session) : repl(session));
  }

  // --- console loops ---------------------------------------------------------------------------

  private int jsonLoop(Session session) throws IOException, InterruptedException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      ObjectNode answer = JsonNodeFactory.instance.objectNode();
      try {
        JsonNode command = PayloadCodec.parseJson(line);
        String op = text(command, "op");
        if (op == null) {
          throw new IpcException(ErrorCode.VALIDATION, "Missing \"op\" (one of invoke, send, state, renderers, log)");
        }
        JsonNode payload = command.has("payload") ? command.get("payload") : JsonNodeFactory.instance.objectNode();
        answer.set("result", session.run(op, text(command, "channel"), payload));
      } catch (IpcException e) {
        answer.set("error", errorJson(e.error()));
      } catch (RuntimeException e) {
        answer.set("error", errorJson(IpcException.errorOf(e)));
      }
      print(answer);
    }
    return 0;
  }

  private int repl(Session session) throws IOException, InterruptedException {
    List<String> channels = new ArrayList<>(Channels.builtIn().keySet());
    channels.add(RendererChannels.RENDERER_INFO.name());
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      LineReader reader = LineReaderBuilder.builder()
          .terminal(terminal)
          .appName("ipc")
          .completer(new ArgumentCompleter(new StringsCompleter(OPS), new StringsCompleter(channels), NullCompleter.INSTANCE))
          .variable(LineReader.HISTORY_FILE, dataDir().resolve(".ipc_history"))
          .build();
      PrintWriter out = terminal.writer();
      AtomicReference<Boolean> listening = new AtomicReference<>(false);
      session.ipc().onEnvelope(e -> {
        if (listening.get() && !e.isReply()) {
          reader.printAbove(PayloadCodec.toJsonString(envelopeJson(e)));
        }
      });
      out.println("Connected as " + session.ipc().rendererId() + ". Type help for commands, Tab to complete.");
      while (true) {
        String line;
        try {
          line = reader.readLine("ipc> ").trim();
        } catch (UserInterruptException e) {
          continue;
        } catch (EndOfFileException e) {
          return 0;
        }
        if (line.isEmpty()) {
          continue;
        }
        String[] parts = line.split("\\s+", 3);
        String op = parts[0];
        if (op.equals("exit") || op.equals("quit")) {
          return 0;
        }
        if (op.equals("help")) {
          out.println("invoke CHANNEL [JSON] | send CHANNEL [JSON] | state | renderers | listen on|off"
              + " | log [GLOB on|off] | exit");
          continue;
        }
        if (op.equals("listen")) {
          listening.set(parts.length < 2 || !parts[1].equals("off"));
          out.println("listening " + (listening.get() ? "on" : "off"));
          continue;
        }
        try {
          JsonNode payload = parts.length < 3 ? JsonNodeFactory.instance.objectNode()
              : op.equals("log") ? JsonNodeFactory.instance.textNode(parts[2].trim())
              : PayloadCodec.parseJson(parts[2]);
          out.println(PayloadCodec.toJsonString(session.run(op, parts.length > 1 ? parts[1] : null, payload)));
        } catch (RuntimeException e) {
          out.println(PayloadCodec.toJsonString(errorObject(IpcException.errorOf(e))));
        }
        out.flush();
      }
    }
  }

  // --- session ---------------------------------------------------------------------------------

  @FunctionalInterface
  private interface SessionBody {
    int run(Session session) throws Exception;
  }

  /** Connects, runs {@code body}, says Goodbye and stops the actor system, whatever happens. */
  private int withSession(SessionBody body) {
    Credential credential;
    try {
      credential = Credential.read(dataDir().resolve(CREDENTIAL_FILE));
    } catch (IpcException e) {
      printError(e.error());
      return 1;
    }
    Config loaded = ConfigFactory.parseString(String.join("\n",
            "browseros.renderer.system.pekko.loglevel = WARNING",
            "browseros.renderer.system.pekko.log-dead-letters = off",
            "browseros.renderer.system.pekko.log-dead-letters-during-shutdown = off"))
        .withFallback(ConfigFactory.load());
    Config systemConfig = RendererConfig.systemConfig(loaded);
    if (credential.tls() != null) {
      systemConfig = RendererConfig.withTls(systemConfig, Path.of(credential.tls()));
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ipc-console", systemConfig);
    IpcRenderer ipc = null;
    try {
      ConnectOptions options = ConnectOptions.of(system, credential.gateway(), null, credential.secret());
      if (timeout != null) {
        options = options.withInvokeTimeout(timeout);
      }
      ipc = await(IpcRenderer.connect(system, options), options.handshakeTimeout().plusSeconds(5));
      return body.run(new Session(ipc));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    } catch (Exception e) {
      printError(IpcException.errorOf(e));
      return 1;
    } finally {
      if (ipc != null) {
        ipc.close();
      }
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // Exiting anyway; the JVM's end stops what is left.
      }
    }
  }

  /** The operations both console modes offer, each answering with a JSON value. */
  private final class Session {
    private final IpcRenderer ipc;

    Session(IpcRenderer ipc) {
      this.ipc = ipc;
    }

    IpcRenderer ipc() {
      return ipc;
    }

    JsonNode run(String op, String channel, JsonNode payload) throws InterruptedException {
      return switch (op) {
        case "invoke" -> invoke(requireChannel(op, channel), payload);
        case "send" -> send(requireChannel(op, channel), payload);
        case "state" -> state();
        case "renderers" -> invoke(Channels.RENDERERS_LIST.name(), JsonNodeFactory.instance.objectNode());
        case "log" -> log(channel, payload);
        default -> throw new IpcException(ErrorCode.VALIDATION,
            "Unknown op '" + op + "': expected invoke, send, state, renderers or log");
      };
    }

    /** {@code log GLOB on|off} in the console: {@code payload} is {"on": true|false}, or the word on|off. */
    JsonNode log(String glob, JsonNode payload) throws InterruptedException {
      InspectorClient inspector = InspectorClient.fromDataDir(dataDir());
      if (glob == null) {
        return inspector.get("/api/logging");
      }
      boolean on = payload.isBoolean() ? payload.asBoolean()
          : payload.isTextual() ? onOff(payload.asText())
          : payload.has("on") ? payload.get("on").asBoolean() : onOff(null);
      return inspector.logging(glob, on);
    }

    JsonNode invoke(String channel, JsonNode payload) throws InterruptedException {
      return await(ipc.invoke(channel, payload), ipc.options().invokeTimeout().plusSeconds(5));
    }

    JsonNode send(String channel, JsonNode payload) {
      ipc.send(channel, payload);
      ObjectNode sent = JsonNodeFactory.instance.objectNode();
      sent.put("sent", channel);
      return sent;
    }

    JsonNode state() throws InterruptedException {
      await(ipc.state().ready(), ipc.options().invokeTimeout());
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      // One consistent version: read the snapshot once and take the version that belongs to it.
      var replica = ipc.state();
      long version;
      java.util.Map<String, JsonNode> snapshot;
      do {
        version = replica.version();
        snapshot = replica.snapshot();
      } while (version != replica.version());
      node.put("version", version);
      ObjectNode state = node.putObject("state");
      snapshot.forEach(state::set);
      return node;
    }
  }

  private static String requireChannel(String op, String channel) {
    if (channel == null || channel.isBlank()) {
      throw new IpcException(ErrorCode.VALIDATION, "'" + op + "' needs a channel");
    }
    return channel;
  }

  private static <T> T await(CompletionStage<T> stage, Duration limit) throws InterruptedException {
    try {
      return stage.toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IpcException(IpcException.errorOf(e));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IpcException(ErrorCode.TIMEOUT, "No answer within " + limit.toMillis() + " ms");
    }
  }

  // --- output ----------------------------------------------------------------------------------

  private static JsonNode parse(String json) {
    return json == null || json.isBlank() ? JsonNodeFactory.instance.objectNode() : PayloadCodec.parseJson(json);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || !value.isTextual() ? null : value.asText();
  }

  static ObjectNode envelopeJson(Envelope e) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("channel", e.channel());
    node.put("type", e.type().name());
    try {
      node.set("payload", PayloadCodec.toJson(e.payload()));
    } catch (IpcException ex) {
      node.putNull("payload");
      node.put("undecodable", ex.getMessage());
    }
    node.put("timestamp", e.timestamp());
    node.put("id", e.id());
    if (e.inReplyTo() != null) {
      node.put("inReplyTo", e.inReplyTo());
    }
    return node;
  }

  private static ObjectNode errorJson(IpcError error) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("code", error.code().name());
    node.put("message", error.message());
    return node;
  }

  private static ObjectNode errorObject(IpcError error) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.set("error", errorJson(error));
    return node;
  }

  private void printError(IpcError error) {
    print(errorObject(error));
  }

  private synchronized void print(JsonNode node) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(PayloadCodec.toJsonString(node));
    out.flush();
  }

  private Path dataDir() {
    if (dataDir != null) {
      return dataDir;
    }
    String env = System.getenv("BROWSEROS_DATA_DIR");
    return Path.of(env == null || env.isBlank() ? "var" : env);
  }

  /** The devtools credential main writes: where its gateway is, and the secret to show it. */
  record Credential(String gateway, String secret, String tls) {
    static Credential read(Path file) {
      if (!Files.isRegularFile(file)) {
        throw new IpcException(ErrorCode.CONNECTION, "No devtools credential at " + file + " (is main running?)");
      }
      try {
        JsonNode node = PayloadCodec.parseJson(Files.readString(file));
        String gateway = text(node, "gateway");
        String secret = text(node, "secret");
        if (gateway == null || secret == null) {
          throw new IpcException(ErrorCode.VALIDATION, "Devtools credential " + file + " lacks gateway or secret");
        }
        return new Credential(gateway, secret, text(node, "tls"));
      } catch (IOException e) {
        throw new IpcException(ErrorCode.PERMISSION, "Cannot read " + file + ": " + e.getMessage());
      }
    }

    @Override
    public String toString() {
      return "Credential[gateway=" + gateway + ", secret=<redacted>]";
    }
  }

  /** {@code 5s}, {@code 500ms}, {@code 2m}, {@code PT5S}; a bare number is seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim();
      try {
        Duration d;
        if (v.matches("\\d+")) {
          d = Duration.ofSeconds(Long.parseLong(v));
        } else if (v.startsWith("P") || v.startsWith("p")) {
          d = Duration.parse(v);
        } else {
          d = ConfigFactory.parseString("d = \"" + v.replace("\"", "") + "\"").getDuration("d");
        }
        if (d.isZero() || d.isNegative()) {
          throw new CommandLine.TypeConversionException("must be positive: " + value);
        }
        return d;
      } catch (RuntimeException e) {
        if (e instanceof CommandLine.TypeConversionException t) {
          throw t;
        }
        throw new CommandLine.TypeConversionException("not a duration: " + value + " (e.g. 5s, 500ms)");
      }
    }
  }
}
