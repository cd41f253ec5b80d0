package org.browseros.ipc.main.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything {@code browseros.security} configures for the edge and the domain: the capabilities,
 * per-channel payload limits and the bad-message threshold.
 */
public record SecurityPolicy(
    Map<String, Capability> capabilities,
    Map<String, Integer> channelPayloadLimits,
    int maxViolations,
    Duration violationWindow) {

  public SecurityPolicy {
    capabilities = Map.copyOf(capabilities);
    channelPayloadLimits = Map.copyOf(channelPayloadLimits);
  }

  /** The policy of the module's reference.conf (stock capabilities). */
  public static SecurityPolicy defaults() {
    return fromConfig(ConfigFactory.defaultReference());
  }

  public static SecurityPolicy fromConfig(Config config) {
    Config c = config.getConfig("browseros.security");
    Map<String, Capability> capabilities = new HashMap<>();
    Config caps = c.getConfig("capabilities");
    for (String name : caps.root().keySet()) {
      Config cap = caps.getConfig(quote(name));
      Set<String> schemes = new HashSet<>();
      cap.getStringList("url-schemes").forEach(s -> schemes.add(s.toLowerCase(Locale.ROOT)));
      capabilities.put(name, new Capability(
          name,
          cap.getStringList("channels.allow"),
          cap.hasPath("channels.deny") ? cap.getStringList("channels.deny") : java.util.List.of(),
          cap.getStringList("scopes").contains(Capability.OWN_TABS),
          schemes,
          cap.getDouble("rate-limit.per-second"),
          cap.getInt("rate-limit.burst")));
    }
    Map<String, Integer> limits = new HashMap<>();
    Config channelLimits = c.getConfig("channel-payload-limits");
    for (Map.Entry<String, ConfigValue> entry : channelLimits.root().entrySet()) {
      limits.put(entry.getKey(), (int) Math.min(Integer.MAX_VALUE, channelLimits.getBytes(quote(entry.getKey()))));
    }
    return new SecurityPolicy(capabilities, limits,
        c.getInt("bad-message.max-violations"), c.getDuration("bad-message.violation-window"));
  }

  public Optional<Capability> capability(String name) {
    return Optional.ofNullable(name == null ? null : capabilities.get(name));
  }

  /** The payload limit of a channel: its own, or {@code overall}, whichever is smaller. */
  public int payloadLimit(String channel, int overall) {
    Integer own = channelPayloadLimits.get(channel);
    return own == null ? overall : Math.min(own, overall);
  }

  private static String quote(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }
}
