package org.browseros.ipc.main;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads the main process's config: command-line overrides, then system properties, then the
 * deployment's application.conf ({@code -Dconfig.file}), then the modules' reference.conf files.
 *
 * <p>reference.conf is resolved together with the rest, not on its own as {@code ConfigFactory.load}
 * does, so that paths derived from {@code browseros.data-dir} follow an overridden data dir.
 */
public final class MainConfig {
  private MainConfig() {}

  public static Config load(Map<String, ?> overrides) {
    ConfigFactory.invalidateCaches();
    Config unresolved = ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(ConfigFactory.defaultApplication())
        .withFallback(ConfigFactory.defaultReferenceUnresolved());
    Config config = unresolved.resolve();
    // An absolute data dir, so that launched renderers and the journal agree whatever their working dir.
    Path dataDir = Path.of(config.getString("browseros.data-dir")).toAbsolutePath().normalize();
    return ConfigFactory.parseMap(Map.of("browseros.data-dir", dataDir.toString()))
        .withFallback(unresolved)
        .resolve();
  }

  /** The config of one of the two actor systems: {@code browseros.<name>.pekko} over the shared one. */
  public static Config forSystem(Config config, String name) {
    return config.getConfig("browseros." + name).withFallback(config);
  }
}
