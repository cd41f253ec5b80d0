package org.browseros.ipc.renderer;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.browseros.ipc.protocol.TransportSecurity;

/** The configuration of a renderer's (or console's) own actor system. */
public final class RendererConfig {
  private RendererConfig() {}

  /**
   * {@link ConfigFactory#load()} with {@code browseros.renderer.system} laid over it, and mutual TLS
   * when main handed over its key material ({@code BROWSEROS_TLS_DIR}).
   */
  public static Config load() {
    String tlsDir = System.getenv(TransportSecurity.ENV_TLS_DIR);
    Config config = systemConfig(ConfigFactory.load());
    return tlsDir == null || tlsDir.isBlank() ? config : withTls(config, Path.of(tlsDir));
  }

  /** The config with Artery's transport switched to mutual TLS on main's key material in {@code tlsDir}. */
  public static Config withTls(Config config, Path tlsDir) {
    return TransportSecurity.arteryConfig(tlsDir).withFallback(config);
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
