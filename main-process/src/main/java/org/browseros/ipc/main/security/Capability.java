package org.browseros.ipc.main.security;

import java.util.List;
import java.util.Set;

/**
 * A named set of permissions a renderer is bound to by its launch secret: which channels it may use
 * and within what scope.
 *
 * @param name the capability's name ({@code shell}, {@code web}, {@code devtools}, ...)
 * @param allow exact channel names, {@code prefix:*} patterns, or {@code *}
 * @param deny same forms; a denied channel stays denied whatever {@code allow} says
 * @param ownTabsOnly the {@code own-tabs} scope: only windows and tabs this renderer created
 * @param urlSchemes schemes accepted in urls (lower case)
 * @param perSecond token bucket refill rate
 * @param burst token bucket capacity
 */
public record Capability(
    String name, List<String> allow, List<String> deny, boolean ownTabsOnly, Set<String> urlSchemes,
    double perSecond, int burst) {

  public static final String OWN_TABS = "own-tabs";

  public Capability {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    urlSchemes = Set.copyOf(urlSchemes);
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("capability " + name + ": rate-limit needs per-second > 0 and burst >= 1");
    }
  }

  /** True when the channel matches an allow entry and no deny entry. */
  public boolean permits(String channel) {
    return matchesAny(allow, channel) && !matchesAny(deny, channel);
  }

  public boolean allowsScheme(String scheme) {
    return scheme != null && urlSchemes.contains(scheme);
  }

  private static boolean matchesAny(List<String> patterns, String channel) {
    for (String pattern : patterns) {
      if (pattern.equals("*") || pattern.equals(channel)
          || (pattern.endsWith(":*") && channel.startsWith(pattern.substring(0, pattern.length() - 1)))) {
        return true;
      }
    }
    return false;
  }
}
