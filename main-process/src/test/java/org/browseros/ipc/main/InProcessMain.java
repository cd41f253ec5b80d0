package org.browseros.ipc.main;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Config overrides for a MainNode started inside a test JVM. */
final class InProcessMain {
  private InProcessMain() {}

  /**
   * {@code dataDir}, free ports for both actor systems and plain TCP (no key material to generate:
   * for tests that are not about transport security). Mutable: a test adds what it is about.
   */
  static Map<String, Object> overrides(Path dataDir) {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("browseros.data-dir", dataDir.toString());
    overrides.put("browseros.edge.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.core.pekko.remote.artery.canonical.port", 0);
    overrides.put("browseros.security.plain-tcp", true);
    return overrides;
  }
}
