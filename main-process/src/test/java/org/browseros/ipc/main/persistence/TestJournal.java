package org.browseros.ipc.main.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** Test configuration: browseros-domain.conf on an H2 file journal in a fresh temp dir, loopback only. */
public final class TestJournal {
  private TestJournal() {}

  public static Path newDataDir() {
    try {
      Path dir = Files.createTempDirectory("browseros-domain-test");
      // The H2 files stay open until the test JVM ends; remove them then.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort: it is a temp dir.
    }
  }

  public static Config config(Path dataDir) {
    return config(dataDir, "");
  }

  public static Config config(Path dataDir, String extra) {
    String test = extra + "\n"
        + "browseros.data-dir = \"" + dataDir.toAbsolutePath().toString().replace("\\", "/") + "\"\n"
        + "browseros.domain.low-memory.check-interval = 1h\n"
        + "browseros.domain.power-supply-dir = \"" + dataDir.resolve("no-power-supply").toString().replace("\\", "/") + "\"\n"
        + "browseros.journal.connections = 2\n"
        + "pekko.actor.provider = cluster\n"
        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
        + "pekko.remote.artery.canonical.port = 0\n"
        + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
        + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
        + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
        + "pekko.loglevel = DEBUG\n";
    return ConfigFactory.parseString(test)
        .withFallback(ConfigFactory.parseResources("browseros-domain.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** Creates the journal tables, waiting at most 20 s. */
  public static void createSchema(ActorSystem<?> system) {
    try {
      JournalSchema.createIfNotExists(system).toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Journal schema not created", e);
    }
  }

  public static void joinSelf(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
  }
}
