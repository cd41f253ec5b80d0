package org.browseros.ipc.renderer;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** The configuration of a renderer's (or console's) own actor system. */
public final class RendererConfig {
  private RendererConfig() {}

  /** {@link ConfigFactory#load()} with {@code browseros.renderer.system} laid over it. */
  public static Config load() {
    return systemConfig(ConfigFactory.load());
  }

  /**
   * The section {@code browseros.renderer.system} (reference defaults, overridable in an
   * application.conf) over the given config. Scoped so that a shared application.conf that sets
   * main's edge port does not make the renderer bind that port too.
   */
  public static Config systemConfig(Config loaded) {
    return loaded.getConfig("browseros.renderer.system").withFallback(loaded).resolve();
  }
}
