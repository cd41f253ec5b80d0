package org.browseros.ipc.main.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.window.Bounds;

/**
 * Content checks on renderer input, shared by the domain actors. Every failure is a
 * {@link ErrorCode#VALIDATION} {@link IpcException}.
 */
public final class Inputs {
  public static final int MAX_TITLE_LENGTH = 1024;
  public static final int MAX_URL_LENGTH = 8192;
  public static final int MAX_DIMENSION = 100_000;
  private static final Set<String> SCHEMES = Set.of("http", "https", "about");

  private Inputs() {}

  /** A required id: present and not blank. */
  public static String requireId(String value, String field) {
    if (value == null || value.isBlank()) {
      throw invalid(field + " is required");
    }
    return value;
  }

  /** A URL parsed with {@link URI}: http/https with a host, or {@code about:<something>}. */
  public static String url(String value) {
    if (value == null || value.isBlank()) {
      throw invalid("url is required");
    }
    if (value.length() > MAX_URL_LENGTH) {
      throw invalid("url is longer than " + MAX_URL_LENGTH + " characters");
    }
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw invalid("Invalid url '" + abbreviate(value) + "': " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null || !SCHEMES.contains(scheme)) {
      throw invalid("Invalid url '" + abbreviate(value) + "': scheme must be http, https or about");
    }
    if (!"about".equals(scheme) && (uri.getHost() == null || uri.getHost().isEmpty())) {
      throw invalid("Invalid url '" + abbreviate(value) + "': an http(s) url needs a host");
    }
    if ("about".equals(scheme) && (uri.getSchemeSpecificPart() == null || uri.getSchemeSpecificPart().isEmpty())) {
      throw invalid("Invalid url '" + abbreviate(value) + "': about: needs a page name");
    }
    return uri.toString();
  }

  /** A title: control characters stripped, at most {@link #MAX_TITLE_LENGTH} characters. */
  public static String title(String value) {
    if (value == null) {
      return null;
    }
    String cleaned = value.codePoints()
        .filter(c -> !Character.isISOControl(c))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    if (cleaned.length() > MAX_TITLE_LENGTH) {
      throw invalid("title is longer than " + MAX_TITLE_LENGTH + " characters");
    }
    return cleaned;
  }

  /** Bounds with width and height in 1..{@link #MAX_DIMENSION}. */
  public static Bounds bounds(Bounds value) {
    if (value == null) {
      return null;
    }
    if (value.width() < 1 || value.width() > MAX_DIMENSION
        || value.height() < 1 || value.height() > MAX_DIMENSION) {
      throw invalid("bounds width and height must be between 1 and " + MAX_DIMENSION);
    }
    if (Math.abs((long) value.x()) > MAX_DIMENSION * 10L || Math.abs((long) value.y()) > MAX_DIMENSION * 10L) {
      throw invalid("bounds x and y must be between -" + (MAX_DIMENSION * 10) + " and " + (MAX_DIMENSION * 10));
    }
    return value;
  }

  public static IpcException invalid(String message) {
    return new IpcException(ErrorCode.VALIDATION, message);
  }

  public static IpcException notFound(String message) {
    return new IpcException(ErrorCode.NOT_FOUND, message);
  }

  private static String abbreviate(String value) {
    String oneLine = value.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 80) + "...";
  }
}
