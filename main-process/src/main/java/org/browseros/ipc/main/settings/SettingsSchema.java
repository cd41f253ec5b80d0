package org.browseros.ipc.main.settings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;

/** The known settings, their defaults and the rule each value must pass. */
public final class SettingsSchema {

  /** One setting: its default and a check that returns the (normalized) value or empty. */
  private record Rule(JsonNode defaultValue, String description, Function<JsonNode, Optional<JsonNode>> check) {}

  private static final List<String> THEMES = List.of("light", "dark", "system");
  private static final List<String> ENGINES = List.of("duckduckgo", "google", "bing", "startpage", "ecosia");
  private static final int MAX_TEXT = 4096;

  private static final Map<String, Rule> RULES = new LinkedHashMap<>();

  static {
    RULES.put("theme", new Rule(TextNode.valueOf("system"), "must be one of " + String.join(", ", THEMES),
        v -> oneOf(v, THEMES)));
    RULES.put("homepage", new Rule(TextNode.valueOf("about:blank"),
        "must be an absolute http or https URL, or about:blank", SettingsSchema::homepage));
    RULES.put("zoom", new Rule(IntNode.valueOf(100), "must be an integer from 25 to 500",
        v -> v != null && v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 25 && v.asInt() <= 500
            ? Optional.of(IntNode.valueOf(v.asInt())) : Optional.empty()));
    RULES.put("search.engine", new Rule(TextNode.valueOf("duckduckgo"), "must be one of " + String.join(", ", ENGINES),
        v -> oneOf(v, ENGINES)));
    RULES.put("downloads.directory", new Rule(TextNode.valueOf("~/Downloads"), "must be an absolute path",
        SettingsSchema::absolutePath));
  }

  private SettingsSchema() {}

  /** The known keys, in a stable order. */
  public static List<String> keys() {
    return List.copyOf(RULES.keySet());
  }

  public static boolean isKnown(String key) {
    return key != null && RULES.containsKey(key);
  }

  public static JsonNode defaultValue(String key) {
    return rule(key, ErrorCode.NOT_FOUND).defaultValue();
  }

  /**
   * The value to store for an update.
   *
   * @throws IpcException VALIDATION for an unknown key ({@code Unknown setting 'x'}) or a value
   *     that breaks the key's rule (the message names key and rule)
   */
  public static JsonNode validate(String key, JsonNode value) {
    Rule rule = rule(key, ErrorCode.VALIDATION);
    return rule.check().apply(value).orElseThrow(() ->
        new IpcException(ErrorCode.VALIDATION, "Setting '" + key + "' " + rule.description()));
  }

  /** Whether a stored value still passes the schema (it may not after a schema change). */
  public static boolean isValid(String key, JsonNode value) {
    return isKnown(key) && RULES.get(key).check().apply(value).isPresent();
  }

  /**
   * The value a reader sees for a stored one: the stored value while it passes the schema, else
   * (missing, or invalid after a schema change) the key's default.
   */
  public static JsonNode effective(String key, JsonNode stored) {
    return stored != null && isValid(key, stored) ? stored : defaultValue(key);
  }

  private static Rule rule(String key, ErrorCode unknown) {
    if (key == null || key.isBlank()) {
      throw new IpcException(ErrorCode.VALIDATION, "key is required");
    }
    Rule rule = RULES.get(key);
    if (rule == null) {
      throw new IpcException(unknown, "Unknown setting '" + abbreviate(key) + "'");
    }
    return rule;
  }

  private static Optional<JsonNode> oneOf(JsonNode value, List<String> allowed) {
    return value != null && value.isTextual() && allowed.contains(value.textValue())
        ? Optional.of(value) : Optional.empty();
  }

  private static Optional<JsonNode> homepage(JsonNode value) {
    if (value == null || !value.isTextual() || value.textValue().length() > MAX_TEXT) {
      return Optional.empty();
    }
    String text = value.textValue();
    if (text.equals("about:blank")) {
      return Optional.of(value);
    }
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme();
      boolean ok = uri.isAbsolute() && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
          && uri.getHost() != null && !uri.getHost().isEmpty();
      return ok ? Optional.of(value) : Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  private static Optional<JsonNode> absolutePath(JsonNode value) {
    if (value == null || !value.isTextual() || value.textValue().isEmpty() || value.textValue().length() > MAX_TEXT) {
      return Optional.empty();
    }
    String text = value.textValue();
    if (text.chars().anyMatch(Character::isISOControl)) {
      return Optional.empty();
    }
    if (text.equals("~") || text.startsWith("~/")) {
      return Optional.of(value);
    }
    try {
      return Path.of(text).isAbsolute() ? Optional.of(value) : Optional.empty();
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
  }

  private static String abbreviate(String key) {
    String oneLine = key.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 64 ? oneLine : oneLine.substring(0, 64) + "...";
  }
}
