package org.browseros.ipc.main.inspector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.gateway.Admission;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.monitor.IpcMonitor;
import org.browseros.ipc.main.monitor.StateWatcher;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.main.gateway.ConnectionRegistry;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The inspector's HTTP API on a real binding, with a fake supervisor and core. */
@ExtendWith(LogCapturingExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InspectorServerTest {
  private static final Caller RENDERER = new Caller("renderer-1", "default", "shell");
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final LinkedBlockingQueue<String> restarted = new LinkedBlockingQueue<>();
  private static final IpcMonitor monitor = new IpcMonitor(Duration.ofSeconds(1));
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path dataDir;

  private static InspectorServer server;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    Admission admission = new Admission() {
      @Override
      public CompletionStage<Caller> authenticate(String rendererId, String secret) {
        return CompletableFuture.failedFuture(new IpcException(ErrorCode.PERMISSION, "no"));
      }

      @Override
      public void connected(String rendererId) {}

      @Override
      public void disconnected(String rendererId, String reason) {}

      @Override
      public CompletionStage<RendererList> renderers() {
        return CompletableFuture.completedFuture(new RendererList(List.of(
            new RendererInfo("renderer-1", ProcessHandle.current().pid(), "shell", "connected", 0, "default"))));
      }

      @Override
      public CompletionStage<Done> restart(String rendererId) {
        if (!rendererId.equals("renderer-1")) {
          return CompletableFuture.failedFuture(new IpcException(ErrorCode.NOT_FOUND, "no renderer " + rendererId));
        }
        restarted.add(rendererId);
        return CompletableFuture.completedFuture(Done.getInstance());
      }
    };
    CoreApi core = new CoreApi() {
      @Override
      public CompletionStage<Object> invoke(Channel<?, ?> channel, Object payload, Caller caller) {
        return CompletableFuture.completedFuture(new SettingsView(Map.of("theme", PayloadCodec.parseJson("\"dark\"")), 3));
      }

      @Override
      public boolean serves(Channel<?, ?> channel) {
        return true;
      }

      @Override
      public void subscribeState(ActorRef<StateSync> subscriber) {}

      @Override
      public void unsubscribeState(ActorRef<StateSync> subscriber) {}

      @Override
      public void requestSnapshot(ActorRef<StateSync> replyTo) {}

      @Override
      public void subscribeSystemEvents(ActorRef<SystemEvent> subscriber) {}

      @Override
      public void unsubscribeSystemEvents(ActorRef<SystemEvent> subscriber) {}

      @Override
      public void publishSystemEvent(SystemEvent event) {}
    };
    var view = new StateWatcher.View(7, Map.of("windows/w1", PayloadCodec.parseJson("{\"title\":\"Docs\"}")));
    Supplier<CompletionStage<StateWatcher.View>> state = () -> CompletableFuture.completedFuture(view);
    server = InspectorServer.start(testKit.system(), 0, dataDir,
        new InspectorServer.Sources(monitor, admission, core, new Caller("inspector", "default", "devtools"), state,
            new ConnectionRegistry(testKit.system().scheduler())));
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String token() {
    return "token=" + server.token();
  }

  @Test
  void shouldWriteTheUrlWithItsTokenToAnOwnerOnlyFile() throws Exception {
    Path file = dataDir.resolve(InspectorServer.URL_FILE);
    assertEquals(server.url(), Files.readString(file).strip());
    assertTrue(server.url().startsWith("http://127.0.0.1:" + server.port() + "/?token="));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void shouldRefuseRequestsWithoutTheToken() throws Exception {
    assertEquals(401, get("/api/stats").statusCode());
    assertEquals(401, get("/").statusCode());
    assertEquals(403, get("/api/stats?token=wrong").statusCode());
    assertEquals(403, get("/api/stats", "Cookie", InspectorServer.COOKIE + "=wrong").statusCode());
    assertEquals(401, post("/api/renderers/renderer-1/restart", InspectorServer.CSRF_HEADER, "1").statusCode());
  }

  @Test
  void shouldServeTheApiWithTheTokenAndStrictHeaders() throws Exception {
    HttpResponse<String> stats = get("/api/stats?" + token());
    assertEquals(200, stats.statusCode());
    assertTrue(PayloadCodec.parseJson(stats.body()).has("channels"));
    String csp = stats.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
    assertEquals("no-referrer", stats.headers().firstValue("Referrer-Policy").orElseThrow());

    JsonNode state = PayloadCodec.parseJson(get("/api/state?" + token()).body());
    assertEquals(7, state.get("version").asLong());
    assertEquals("Docs", state.get("state").get("windows/w1").get("title").asText());
    assertEquals("dark", PayloadCodec.parseJson(get("/api/settings?" + token()).body()).get("settings").get("theme").asText());
    JsonNode renderers = PayloadCodec.parseJson(get("/api/renderers?" + token()).body());
    JsonNode renderer = renderers.get("renderers").get(0);
    assertEquals("renderer-1", renderer.get("rendererId").asText());
    // Its process's resident memory; no connection figures, as it is not connected here.
    assertTrue(renderer.get("rssBytes").asLong() > 1_000_000, renderer.toString());
    assertTrue(renderer.path("queueDepth").isMissingNode() || renderer.get("queueDepth").isNull(), renderer.toString());
  }

  @Test
  void shouldTradeTheTokenForAStrictHttpOnlyCookie() throws Exception {
    HttpResponse<String> page = get("/?" + token());
    assertEquals(303, page.statusCode());
    String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.startsWith(InspectorServer.COOKIE + "=" + server.token()), cookie);
    assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
    HttpResponse<String> index = get("/", "Cookie", InspectorServer.COOKIE + "=" + server.token());
    assertEquals(200, index.statusCode());
    assertTrue(index.body().contains("<script src=\"app.js\""), index.body());
    assertFalse(index.body().contains("<script>"));
  }

  @Test
  void shouldStreamMatchingMessagesOverServerSentEvents() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/feed?channel=tab:*&" + token())).GET().build();
    HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertEquals("ready", nextEvent(lines).get("event"));
      monitor.inbound(RENDERER, Envelope.command("window:create", PayloadCodec.encode(Map.of("title", "hidden"))));
      Envelope request1 = Envelope.command("tab:create", PayloadCodec.encode(Map.of("windowId", "w1")));
      monitor.inbound(RENDERER, request1);
      Map<String, String> event = nextEvent(lines);
      assertEquals("message", event.get("event"));
      JsonNode message = PayloadCodec.parseJson(event.get("data"));
      assertEquals("tab:create", message.get("channel").asText());
      assertEquals("renderer-1", message.get("renderer").asText());
      assertEquals("in", message.get("direction").asText());
      assertEquals("{\"windowId\":\"w1\"}", message.get("preview").asText());

      monitor.outbound(RENDERER, request1.reply(PayloadCodec.encode(Map.of("tabId", "t1"))));
      JsonNode reply = PayloadCodec.parseJson(nextEvent(lines).get("data"));
      assertEquals(request1.id(), reply.get("inReplyTo").asText());
      assertTrue(reply.get("latencyMs").asDouble() >= 0);

      JsonNode detail = PayloadCodec.parseJson(get("/api/messages/" + message.get("seq").asLong() + "?" + token()).body());
      assertEquals("{\"tabId\":\"t1\"}", detail.get("reply").get("preview").asText());
    }
  }

  /** The next server-sent event with a data field (heartbeats skipped): field name to value. */
  private static Map<String, String> nextEvent(BufferedReader lines) throws Exception {
    Map<String, String> fields = new java.util.HashMap<>();
    String line;
    while ((line = lines.readLine()) != null) {
      if (line.isEmpty()) {
        if (fields.containsKey("data")) {
          return fields;
        }
        fields.clear();
        continue;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    throw new AssertionError("The feed ended");
  }

  @Test
  void shouldRestartARendererOnlyWithTheCsrfHeader() throws Exception {
    assertEquals(403, post("/api/renderers/renderer-1/restart?" + token()).statusCode());
    assertTrue(restarted.isEmpty());
    HttpResponse<String> done = post("/api/renderers/renderer-1/restart?" + token(), InspectorServer.CSRF_HEADER, "1");
    assertEquals(200, done.statusCode(), done.body());
    assertEquals("renderer-1", restarted.poll(5, TimeUnit.SECONDS));
    HttpResponse<String> missing = post("/api/renderers/renderer-9/restart?" + token(), InspectorServer.CSRF_HEADER, "1");
    assertEquals(404, missing.statusCode());
    assertEquals("NOT_FOUND", PayloadCodec.parseJson(missing.body()).get("error").get("code").asText());
  }

  @Test
  void shouldSwitchMessageLoggingAtRuntime() throws Exception {
    HttpRequest put = HttpRequest.newBuilder(URI.create(base + "/api/logging?" + token()))
        .header(InspectorServer.CSRF_HEADER, "1")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"channels\":[\"tab:*\"]}")).build();
    assertEquals(200, http.send(put, HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(List.of("tab:*"), monitor.loggedChannels());
    HttpRequest bad = HttpRequest.newBuilder(URI.create(base + "/api/logging?" + token()))
        .header(InspectorServer.CSRF_HEADER, "1")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"channels\":\"tab:*\"}")).build();
    assertEquals(400, http.send(bad, HttpResponse.BodyHandlers.ofString()).statusCode());
    monitor.logChannels(List.of());
  }

  @Test
  void shouldAnswerBadFiltersWithBadRequest() throws Exception {
    HttpResponse<String> response = get("/api/feed?type=SHOUT&" + token());
    assertEquals(400, response.statusCode());
    assertEquals("VALIDATION", PayloadCodec.parseJson(response.body()).get("error").get("code").asText());
    assertEquals(400, get("/api/messages?limit=0&" + token()).statusCode());
    assertEquals(404, get("/api/messages/999999?" + token()).statusCode());
  }

  @Test
  void shouldCompareTokensExactly() {
    assertTrue(InspectorServer.tokenMatches("abc", "abc"));
    assertFalse(InspectorServer.tokenMatches("abc", "abd"));
    assertFalse(InspectorServer.tokenMatches("abc", "ab"));
    assertFalse(InspectorServer.tokenMatches("abc", null));
  }
}
