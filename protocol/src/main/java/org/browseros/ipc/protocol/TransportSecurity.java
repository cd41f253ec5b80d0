package org.browseros.ipc.protocol;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the TLS key material of a main process lives ({@code <data-dir>/tls}, owner only) and the
 * Artery config that makes an actor system speak TLS 1.3 with mutual authentication using it. Main,
 * the renderers it launches (told the directory in {@link #ENV_TLS_DIR}) and consoles (told it in
 * the devtools credential) all use the same key store and trust store.
 */
public final class TransportSecurity {
  private TransportSecurity() {}

  /** The environment variable through which main hands a renderer the TLS directory. */
  public static final String ENV_TLS_DIR = "BROWSEROS_TLS_DIR";
  public static final String DIRECTORY = "tls";
  public static final String KEY_STORE = "keystore.p12";
  public static final String TRUST_STORE = "truststore.p12";
  /** The random password of both stores, in an owner-only file: never on a command line. */
  public static final String PASSWORD_FILE = "store.password";

  /**
   * The file-name prefix of the core system's own key material, which renderers never get: a
   * renderer holding the edge key cannot complete a TLS handshake with the core's cluster port.
   */
  public static final String CORE_PREFIX = "core-";

  /** True when {@code tlsDir} holds a complete set of key material with file-name {@code prefix}. */
  public static boolean present(Path tlsDir, String prefix) {
    return Files.isRegularFile(tlsDir.resolve(prefix + KEY_STORE)) && Files.isRegularFile(tlsDir.resolve(prefix + TRUST_STORE))
        && Files.isRegularFile(tlsDir.resolve(prefix + PASSWORD_FILE));
  }

  /** {@code pekko.remote.artery} set to {@code tls-tcp} with mutual authentication on the edge stores in {@code tlsDir}. */
  public static Config arteryConfig(Path tlsDir) {
    return arteryConfig(tlsDir, "");
  }

  /** As {@link #arteryConfig(Path)}, on the stores whose file names start with {@code prefix}. */
  public static Config arteryConfig(Path tlsDir, String prefix) {
    String password;
    try {
      password = Files.readString(tlsDir.resolve(prefix + PASSWORD_FILE), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the TLS store password in " + tlsDir, e);
    }
    String ssl = "pekko.remote.artery.ssl.config-ssl-engine.";
    // Artery's own provider with its context built before the first connection (start-up), where a
    // first connection is sure to come: renderers, consoles and main's edge. Main's core system (its
    // own key material) is connected only by other main nodes, if ever: it builds on demand.
    String provider = prefix.isEmpty() ? EagerSslEngineProvider.class.getName()
        : "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider";
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue("pekko.remote.artery.ssl.ssl-engine-provider", ConfigValueFactory.fromAnyRef(provider))
        .withValue(ssl + "key-store", ConfigValueFactory.fromAnyRef(tlsDir.resolve(prefix + KEY_STORE).toString()))
        .withValue(ssl + "trust-store", ConfigValueFactory.fromAnyRef(tlsDir.resolve(prefix + TRUST_STORE).toString()))
        .withValue(ssl + "key-store-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "key-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "trust-store-password", ConfigValueFactory.fromAnyRef(password))
        .withValue(ssl + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
        .withValue(ssl + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true))
        .withValue(ssl + "hostname-verification", ConfigValueFactory.fromAnyRef(false));
  }
}
