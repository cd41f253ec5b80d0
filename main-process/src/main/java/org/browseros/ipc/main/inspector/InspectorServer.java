package org.browseros.ipc.main.inspector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.ipc.Subscription;
import org.browseros.ipc.main.monitor.IpcMonitor;
import org.browseros.ipc.main.monitor.MessageFilter;
import org.browseros.ipc.main.monitor.MonitoredMessage;
import org.browseros.ipc.main.monitor.StateWatcher;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.main.gateway.ConnectionRegistry;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPC inspector: a self-contained web page and its JSON/SSE API, served by the main process on
 * 127.0.0.1 only. Every request needs the inspector token, in the URL ({@code ?token=}) or in the
 * cookie the page gets from it; state-changing requests also need the {@value #CSRF_HEADER} header,
 * which a cross-site form cannot send.
 */
public final class InspectorServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InspectorServer.class);

  /** The file, in the data dir, that holds the inspector URL with its token (mode 0600). */
  public static final String URL_FILE = "inspector.url";
  public static final String COOKIE = "browseros_inspector";
  public static final String CSRF_HEADER = "X-Inspector";
  private static final int MAX_LIMIT = 1000;
  private static final int FEED_BUFFER = 512;

  private static final List<HttpHeader> SECURITY_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
          + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("X-Frame-Options", "DENY"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("Cache-Control", "no-store"));

  /** What the inspector shows and acts on; {@code state} asks the state watcher for its tree. */
  public record Sources(IpcMonitor monitor, Admission admission, CoreApi core, Caller caller,
      Supplier<CompletionStage<StateWatcher.View>> state, ConnectionRegistry connections) {

    /** Without live connection figures (heartbeat age, queue depth, memory). */
    public Sources(IpcMonitor monitor, Admission admission, CoreApi core, Caller caller,
        Supplier<CompletionStage<StateWatcher.View>> state) {
      this(monitor, admission, core, caller, state, null);
    }

    CompletionStage<RendererList> renderers() {
      CompletionStage<RendererList> list = admission.renderers();
      return connections == null ? list : list.thenApply(connections::describe);
    }
  }

  private final ServerBinding binding;
  private final String token;
  private final Path urlFile;

  private InspectorServer(ServerBinding binding, String token, Path urlFile) {
    this.binding = binding;
    this.token = token;
    this.urlFile = urlFile;
  }

  /**
   * Binds 127.0.0.1:{@code port} (0: any free port) with a fresh token and writes the URL to
   * {@code <dataDir>/inspector.url}.
   */
  public static InspectorServer start(ActorSystem<?> system, int port, Path dataDir, Sources sources) throws Exception {
    String token = newToken();
    Routes routes = new Routes(token, sources);
    ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", port).bind(routes.route())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Path urlFile = dataDir.resolve(URL_FILE);
    InspectorServer server = new InspectorServer(binding, token, urlFile);
    writeOwnerOnly(urlFile, server.url() + "\n");
    return server;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** The URL to open, with the token. */
  public String url() {
    return "http://127.0.0.1:" + port() + "/?token=" + token;
  }

  public String token() {
    return token;
  }

  /** Deletes the URL file (it would name a dead inspector) and unbinds, ending open feeds. */
  public CompletionStage<org.apache.pekko.Done> stop() {
    try {
      Files.deleteIfExists(urlFile);
    } catch (IOException e) {
      log.warn("Could not delete [{}]", urlFile, e);
    }
    return binding.terminate(Duration.ofSeconds(2)).thenApply(terminated -> org.apache.pekko.Done.getInstance());
  }

  @Override
  public void close() {
    try {
      stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("Inspector binding did not terminate cleanly", e);
    }
  }

  private static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Constant-time comparison, so a wrong token's timing tells nothing about the right one. */
  static boolean tokenMatches(String expected, String presented) {
    if (presented == null) {
      return false;
    }
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  // ---- routes -------------------------------------------------------------------------------------

  private static final class Routes extends AllDirectives {
    private final String token;
    private final Sources sources;

    Routes(String token, Sources sources) {
      this.token = token;
      this.sources = sources;
    }

    Route route() {
      return respondWithHeaders(SECURITY_HEADERS, () -> handleExceptions(
          org.apache.pekko.http.javadsl.server.ExceptionHandler.newBuilder()
              .match(IpcException.class, e -> error(e.error()))
              .build(),
          () -> authenticated(fromQuery -> concat(
              pathSingleSlash(() -> get(() -> fromQuery
                  // Trade the token in the URL for a cookie and drop it from the address bar.
                  ? setCookie(HttpCookie.create(COOKIE, token).withHttpOnly(true).withPath("/").withSameSite(SameSite.Strict),
                      () -> complete(StatusCodes.SEE_OTHER, List.<HttpHeader>of(Location.create("/")),
                          HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, "See /")))
                  : getFromResource("inspector/index.html"))),
              path("app.js", () -> get(() -> getFromResource("inspector/app.js"))),
              path("app.css", () -> get(() -> getFromResource("inspector/app.css"))),
              pathPrefix("api", this::api)))));
    }

    private Route api() {
      Route messages = pathPrefix("messages", () -> concat(
          pathEnd(() -> get(() -> filtered(filter -> parameterOptional("limit", limit ->
              json(() -> messages(filter, limit.map(Routes::limit).orElse(200))))))),
          path(PathMatchers.longSegment(), seq -> get(() -> json(() -> message(seq))))));
      Route renderers = pathPrefix("renderers", () -> concat(
          pathEnd(() -> get(() -> async(sources.renderers().thenApply(this::renderers)))),
          path(PathMatchers.segment().slash("restart"), id -> post(() -> csrf(() ->
              async(sources.admission().restart(id).thenApply(done -> ok("restarted", id))))))));
      Route settings = path("settings", () -> get(() -> async(sources.core()
          .invoke(Channels.SETTINGS_GET, new SettingsGet(null), sources.caller())
          .thenApply(PayloadCodec::toTree))));
      Route logging = path("logging", () -> concat(
          get(() -> json(this::logging)),
          put(() -> csrf(() -> entity(Unmarshaller.entityToString(), body -> json(() -> setLogging(body)))))));
      return concat(
          path("stats", () -> get(() -> json(this::stats))),
          path("feed", () -> get(() -> filtered(this::feed))),
          messages,
          renderers,
          path("state", () -> get(() -> async(sources.state().get().thenApply(this::state)))),
          settings,
          logging);
    }

    // ---- auth

    private Route authenticated(Function<Boolean, Route> inner) {
      return parameterOptional("token", query -> optionalCookie(COOKIE, cookie -> {
        if (query.isPresent()) {
          return tokenMatches(token, query.get()) ? inner.apply(true) : refused(StatusCodes.FORBIDDEN, "Wrong inspector token");
        }
        if (cookie.isPresent()) {
          return tokenMatches(token, cookie.get().value()) ? inner.apply(false) : refused(StatusCodes.FORBIDDEN, "Wrong inspector token");
        }
        return refused(StatusCodes.UNAUTHORIZED, "The inspector needs its token: open the URL in <data-dir>/inspector.url");
      }));
    }

    private Route csrf(Supplier<Route> inner) {
      return optionalHeaderValueByName(CSRF_HEADER, value -> value.isPresent()
          ? inner.get()
          : refused(StatusCodes.FORBIDDEN, "Missing the " + CSRF_HEADER + " header"));
    }

    private Route refused(StatusCode status, String message) {
      ObjectNode body = JsonNodeFactory.instance.objectNode();
      body.putObject("error").put("code", ErrorCode.PERMISSION.name()).put("message", message);
      return complete(status, List.of(), HttpEntities.create(ContentTypes.APPLICATION_JSON, PayloadCodec.toJsonString(body)));
    }

    // ---- helpers

    private Route filtered(Function<MessageFilter, Route> inner) {
      return parameterOptional("channel", channel -> parameterOptional("renderer", renderer ->
          parameterOptional("type", type -> inner.apply(
              MessageFilter.parse(channel.orElse(null), renderer.orElse(null), type.orElse(null))))));
    }

    private static int limit(String value) {
      try {
        int n = Integer.parseInt(value);
        if (n < 1 || n > MAX_LIMIT) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IpcException(ErrorCode.VALIDATION, "limit must be 1.." + MAX_LIMIT);
      }
    }

    private Route json(Supplier<JsonNode> body) {
      return complete(StatusCodes.OK, List.of(), HttpEntities.create(ContentTypes.APPLICATION_JSON,
          PayloadCodec.toJsonString(body.get())));
    }

    private Route async(CompletionStage<? extends JsonNode> result) {
      return onComplete(result.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS), outcome -> outcome.isSuccess()
          ? complete(StatusCodes.OK, List.of(), HttpEntities.create(ContentTypes.APPLICATION_JSON, PayloadCodec.toJsonString(outcome.get())))
          : error(IpcException.errorOf(outcome.failed().get())));
    }

    private Route error(IpcError error) {
      StatusCode status = switch (error.code()) {
        case VALIDATION, TOO_LARGE -> StatusCodes.BAD_REQUEST;
        case PERMISSION -> StatusCodes.FORBIDDEN;
        case NOT_FOUND -> StatusCodes.NOT_FOUND;
        case CONFLICT -> StatusCodes.CONFLICT;
        case TIMEOUT -> StatusCodes.GATEWAY_TIMEOUT;
        case RATE_LIMITED -> StatusCodes.TOO_MANY_REQUESTS;
        case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
        default -> StatusCodes.INTERNAL_SERVER_ERROR;
      };
      ObjectNode body = JsonNodeFactory.instance.objectNode();
      body.putObject("error").put("code", error.code().name()).put("message", error.message());
      return complete(status, List.of(), HttpEntities.create(ContentTypes.APPLICATION_JSON, PayloadCodec.toJsonString(body)));
    }

    private static ObjectNode ok(String what, String id) {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put(what, id);
      return node;
    }

    // ---- resources

    private JsonNode stats() {
      ObjectNode node = (ObjectNode) PayloadCodec.toTree(sources.monitor().metrics().snapshot());
      node.put("slowThresholdMs", sources.monitor().slowThreshold().toMillis());
      node.set("transportDrops", PayloadCodec.toTree(sources.monitor().transportDrops()));
      return node;
    }

    private Route feed(MessageFilter filter) {
      Source<ServerSentEvent, Subscription> live = Source.<ServerSentEvent>queue(FEED_BUFFER)
          .mapMaterializedValue(queue -> sources.monitor().watch(filter,
              message -> queue.offer(ServerSentEvent.create(PayloadCodec.toJsonString(summary(message)), "message"))));
      Source<ServerSentEvent, NotUsed> events = Source.single(ServerSentEvent.create("{}", "ready"))
          .concatMat(live, Keep.right())
          .watchTermination((subscription, done) -> {
            done.whenComplete((d, failure) -> subscription.unsubscribe());
            return NotUsed.getInstance();
          })
          .keepAlive(Duration.ofSeconds(5), ServerSentEvent::heartbeat);
      return completeOK(events, EventStreamMarshalling.toEventStream());
    }

    private ObjectNode summary(MonitoredMessage m) {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("seq", m.seq());
      node.put("at", m.atMillis());
      node.put("direction", m.inbound() ? "in" : "out");
      node.put("renderer", m.rendererId());
      node.put("channel", m.channel());
      node.put("type", String.valueOf(m.type()));
      node.put("id", m.envelope().id());
      if (m.envelope().inReplyTo() != null) {
        node.put("inReplyTo", m.envelope().inReplyTo());
      }
      node.put("size", m.envelope().payload().length);
      if (m.latencyNanos() >= 0) {
        node.put("latencyMs", m.latencyNanos() / 1_000_000.0);
      }
      if (m.requestSeq() >= 0) {
        node.put("requestSeq", m.requestSeq());
      }
      node.put("preview", sources.monitor().preview(m.envelope()));
      return node;
    }

    private JsonNode messages(MessageFilter filter, int limit) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      sources.monitor().recent(filter, limit).forEach(m -> array.add(summary(m)));
      return array;
    }

    private JsonNode message(long seq) {
      MonitoredMessage m = sources.monitor().message(seq)
          .orElseThrow(() -> new IpcException(ErrorCode.NOT_FOUND, "Message " + seq + " is no longer kept"));
      ObjectNode node = summary(m);
      Optional<MonitoredMessage> reply = m.isReply() ? Optional.empty() : sources.monitor().replyTo(m);
      reply.ifPresent(r -> node.set("reply", summary(r)));
      if (m.requestSeq() >= 0) {
        sources.monitor().message(m.requestSeq()).ifPresent(r -> node.set("request", summary(r)));
      }
      return node;
    }

    private JsonNode renderers(RendererList list) {
      Map<String, Long> ages = sources.monitor().lastHeardAgeMillis();
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      for (RendererInfo info : list.renderers()) {
        ObjectNode node = (ObjectNode) PayloadCodec.toTree(info);
        Long age = ages.get(info.rendererId());
        if (age != null) {
          node.put("lastMessageAgeMs", age);
        }
        array.add(node);
      }
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.set("renderers", array);
      return node;
    }

    private JsonNode state(StateWatcher.View view) {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("version", view.version());
      ObjectNode state = node.putObject("state");
      view.state().forEach(state::set);
      return node;
    }

    private JsonNode logging() {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      ArrayNode channels = node.putArray("channels");
      sources.monitor().loggedChannels().forEach(channels::add);
      return node;
    }

    private JsonNode setLogging(String body) {
      JsonNode channels = PayloadCodec.parseJson(body).get("channels");
      if (channels == null || !channels.isArray() || channels.size() > 50) {
        throw new IpcException(ErrorCode.VALIDATION, "Expected {\"channels\":[\"glob\", ...]} (at most 50)");
      }
      List<String> globs = new java.util.ArrayList<>();
      channels.forEach(c -> {
        if (!c.isTextual()) {
          throw new IpcException(ErrorCode.VALIDATION, "Channel patterns must be strings");
        }
        globs.add(c.asText());
      });
      sources.monitor().logChannels(globs);
      log.info("Message logging now on for channels {}", globs);
      return logging();
    }
  }
}
