package org.browseros.ipc.renderer.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;

/**
 * {@code ipc stats}, {@code ipc monitor} and {@code ipc log}: the inspector's HTTP API, at the URL (with its token)
 * that main writes to {@code <data-dir>/inspector.url}.
 */
final class InspectorClient {
  static final String URL_FILE = "inspector.url";
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
  private static final int HUMAN_PREVIEW = 120;

  private final String base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private InspectorClient(String base, String token) {
    this.base = base;
    this.token = token;
  }

  static InspectorClient fromDataDir(Path dataDir) {
    Path file = dataDir.resolve(URL_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IpcException(ErrorCode.CONNECTION, "No inspector URL at " + file + " (is main running, with its inspector on?)");
    }
    try {
      URI url = URI.create(Files.readString(file).strip());
      String query = url.getRawQuery() == null ? "" : url.getRawQuery();
      String token = null;
      for (String pair : query.split("&")) {
        if (pair.startsWith("token=")) {
          token = pair.substring("token=".length());
        }
      }
      if (token == null || url.getHost() == null) {
        throw new IpcException(ErrorCode.VALIDATION, "The inspector URL in " + file + " lacks a host or token");
      }
      return new InspectorClient(url.getScheme() + "://" + url.getHost() + ":" + url.getPort(), token);
    } catch (IOException | IllegalArgumentException e) {
      throw new IpcException(ErrorCode.PERMISSION, "Cannot read " + file + ": " + e.getMessage());
    }
  }

  JsonNode get(String path) throws InterruptedException {
    HttpResponse<String> response = send(request(path, Map.of()).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode body = PayloadCodec.parseJson(response.body());
    check(response.statusCode(), body);
    return body;
  }

  /**
   * Switches message logging of the channels matching {@code glob} on or off (the inspector's
   * {@code /api/logging}, which holds the whole list) and answers the globs logged now.
   */
  JsonNode logging(String glob, boolean on) throws InterruptedException {
    if (glob == null || glob.isBlank() || glob.length() > 200) {
      throw new IpcException(ErrorCode.VALIDATION, "A channel glob of 1..200 characters is required, e.g. tab:*");
    }
    java.util.List<String> channels = new java.util.ArrayList<>();
    get("/api/logging").path("channels").forEach(c -> channels.add(c.asText()));
    channels.remove(glob);
    if (on) {
      channels.add(glob);
    }
    String body = PayloadCodec.toJsonString(Map.of("channels", channels));
    HttpResponse<String> response = send(request("/api/logging", Map.of())
            .header("X-Inspector", "1")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode answer = PayloadCodec.parseJson(response.body());
    check(response.statusCode(), answer);
    return answer;
  }

  /** Streams the live feed, handing each message to {@code onMessage} until it answers false. */
  void feed(Map<String, String> filter, Predicate<JsonNode> onMessage) throws InterruptedException {
    HttpResponse<InputStream> response = send(request("/api/feed", filter).build(), HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      if (response.statusCode() != 200) {
        StringBuilder body = new StringBuilder();
        lines.lines().forEach(body::append);
        check(response.statusCode(), PayloadCodec.parseJson(body.toString()));
      }
      // An event is a block of "field: value" lines ended by a blank line; heartbeats have no data.
      String event = null;
      String data = null;
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring("event:".length()).strip();
        } else if (line.startsWith("data:")) {
          data = line.substring("data:".length()).strip();
        } else if (line.isEmpty()) {
          if (data != null && "message".equals(event) && !onMessage.test(PayloadCodec.parseJson(data))) {
            return;
          }
          event = null;
          data = null;
        }
      }
      throw new IpcException(ErrorCode.CONNECTION, "The inspector closed the feed (main stopped?)");
    } catch (IOException e) {
      throw new IpcException(ErrorCode.CONNECTION, "Feed lost: " + e.getMessage());
    }
  }

  private HttpRequest.Builder request(String path, Map<String, String> params) {
    Map<String, String> query = new LinkedHashMap<>(params);
    query.put("token", token);
    StringBuilder uri = new StringBuilder(base).append(path).append('?');
    query.forEach((k, v) -> uri.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
    uri.setLength(uri.length() - 1);
    return HttpRequest.newBuilder(URI.create(uri.toString())).GET();
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws InterruptedException {
    try {
      return http.send(request, handler);
    } catch (IOException e) {
      throw new IpcException(ErrorCode.CONNECTION, "Cannot reach the inspector at " + base + ": " + e.getMessage());
    }
  }

  private static void check(int status, JsonNode body) {
    if (status / 100 == 2) {
      return;
    }
    JsonNode error = body.get("error");
    ErrorCode code = ErrorCode.INTERNAL;
    String message = "HTTP " + status;
    if (error != null) {
      try {
        code = ErrorCode.valueOf(error.path("code").asText());
      } catch (IllegalArgumentException e) {
        // keep INTERNAL
      }
      message = error.path("message").asText(message);
    }
    throw new IpcException(code, message);
  }

  /** One feed message as a line: time, direction, renderer, type, channel, seq, latency, size, preview. */
  static String human(JsonNode m) {
    StringBuilder line = new StringBuilder()
        .append(TIME.format(Instant.ofEpochMilli(m.path("at").asLong())))
        .append(' ').append("in".equals(m.path("direction").asText()) ? "→" : "←")
        .append(' ').append(String.format("%-12s", m.path("renderer").asText()))
        .append(' ').append(String.format("%-12s", m.path("type").asText()))
        .append(' ').append(m.path("channel").asText())
        .append(" #").append(m.path("seq").asLong());
    if (m.has("requestSeq")) {
      line.append(" ↩#").append(m.path("requestSeq").asLong());
    }
    if (m.has("latencyMs")) {
      line.append(String.format(" %.2f ms", m.path("latencyMs").asDouble()));
    }
    line.append(' ').append(m.path("size").asInt()).append(" B ");
    String preview = m.path("preview").asText();
    line.append(preview.length() > HUMAN_PREVIEW ? preview.substring(0, HUMAN_PREVIEW) + "…" : preview);
    return line.toString();
  }
}
