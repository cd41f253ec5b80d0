package org.browseros.ipc.main.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.Limits;
import org.browseros.ipc.protocol.window.Bounds;

/**
 * Content checks on renderer input, shared by the domain actors. Every failure is a
 * {@link ErrorCode#VALIDATION} {@link IpcException}.
 */
public final class Inputs {
  public static final int MAX_TITLE_LENGTH = Limits.MAX_TITLE_LENGTH;
  public static final int MAX_URL_LENGTH = Limits.MAX_URL_LENGTH;
  public static final int MAX_DIMENSION = Limits.MAX_DIMENSION;
  /** What a caller may open unless its capability says otherwise. */
  public static final Set<String> DEFAULT_SCHEMES = Set.of("http", "https", "about");
  /** Every scheme the domain can open at all; {@code javascript:} is never among them. */
  public static final Set<String> SUPPORTED_SCHEMES = Set.of("http", "https", "about", "file", "data");

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
    return url(value, DEFAULT_SCHEMES);
  }

  /**
   * A URL parsed with {@link URI}, of one of {@code allowed} schemes that the domain supports:
   * http/https with a host, {@code about:}, {@code data:} or {@code file:} with something after the colon.
   */
  public static String url(String value, Set<String> allowed) {
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
    if (scheme == null || !SUPPORTED_SCHEMES.contains(scheme) || !allowed.contains(scheme)) {
      throw invalid("Invalid url '" + abbreviate(value) + "': scheme must be one of "
          + new java.util.TreeSet<>(allowed).stream().filter(SUPPORTED_SCHEMES::contains).toList());
    }
    if (("http".equals(scheme) || "https".equals(scheme)) && uri.getRawUserInfo() != null) {
      throw invalid("Invalid url '" + abbreviate(value) + "': credentials in a url are not allowed");
    }
    if (!"about".equals(scheme) && (uri.getHost() == null || uri.getHost().isEmpty())) {
      throw invalid("Invalid url '" + abbreviate(value) + "': an http(s) url needs a host");
    }
    if (!"http".equals(scheme) && !"https".equals(scheme)
        && (uri.getSchemeSpecificPart() == null || uri.getSchemeSpecificPart().isEmpty())) {
      throw invalid("Invalid url '" + abbreviate(value) + "': " + scheme + ": needs something after the colon");
    }
    return uri.toString();
  }

  /**
   * A title: control characters and bidi embedding/override/isolate characters (U+202A..U+202E,
   * U+2066..U+2069, which can make a title read as something else) stripped, at most
   * {@link #MAX_TITLE_LENGTH} characters.
   */
  public static String title(String value) {
    if (value == null) {
      return null;
    }
    String cleaned = value.codePoints()
        .filter(c -> !Character.isISOControl(c) && !isBidiControl(c))
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    if (cleaned.length() > MAX_TITLE_LENGTH) {
      throw invalid("title is longer than " + MAX_TITLE_LENGTH + " characters");
    }
    return cleaned;
  }

  private static boolean isBidiControl(int c) {
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
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
