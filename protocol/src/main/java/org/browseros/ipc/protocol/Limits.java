package org.browseros.ipc.protocol;

/**
 * Bounds on payload fields, shared by the Bean Validation constraints on the payload records (checked
 * in main before any actor sees a payload) and by main's own content checks.
 */
public final class Limits {
  private Limits() {}

  /** Window and tab ids ({@code w1}, {@code t12}) and other ids a renderer names. */
  public static final String ID_PATTERN = "[A-Za-z0-9._-]+";
  public static final int MAX_ID_LENGTH = 64;
  /** Setting keys ({@code theme}, {@code search.engine}). */
  public static final String KEY_PATTERN = "[A-Za-z0-9._-]+";
  public static final int MAX_KEY_LENGTH = 128;
  public static final int MAX_TITLE_LENGTH = 1024;
  public static final int MAX_URL_LENGTH = 8192;
  public static final int MAX_DIMENSION = 100_000;
  public static final int MAX_POSITION = 1_000_000;
}
