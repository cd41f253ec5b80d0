package org.browseros.ipc.main.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import slick.jdbc.JdbcDataSource;
import slick.jdbc.hikaricp.HikariCPJdbcDataSource;

/**
 * The journal probe: JDBC's validity check ({@link Connection#isValid}) on a connection from the
 * journal's own pool (the shared {@code slick} database of {@code browseros-domain.conf}), so it
 * fails exactly when the journal cannot reach its database. Bounded by the pool's connection timeout
 * and the check's timeout. The drivers make it a round trip where there is one to make: PostgreSQL
 * runs an empty query, H2 over TCP a query of its session table, embedded H2 checks that its session
 * is open. It was {@code SELECT 1}: the same verdicts, but each second H2 parsed and planned a query,
 * and the JIT was still compiling its parser minutes after a start (idle CPU, docs/PERFORMANCE.md).
 *
 * <p>A failed probe evicts the pool's connections: a connection broken by an outage can fail with
 * an error the pool does not recognise as fatal (H2: "Database is already closed"), and would
 * otherwise be handed out again, to the probe and to the journal, after the database is back.
 */
public final class JournalProbe {
  private JournalProbe() {}

  /**
   * The probe for the configured journal: {@link #jdbc} for {@code jdbc-journal}; for any other
   * plugin (none is configured today) a probe that always passes, so writes are never refused
   * for want of a check.
   */
  public static JournalHealth.Probe forConfiguredJournal(ActorSystem<?> system, Duration timeout) {
    String plugin = system.settings().config().getString("pekko.persistence.journal.plugin");
    return "jdbc-journal".equals(plugin) ? jdbc(system, timeout) : () -> { };
  }

  public static JournalHealth.Probe jdbc(ActorSystem<?> system, Duration timeout) {
    int seconds = (int) Math.max(1, timeout.toSeconds());
    // Looked up at the first probe and kept (the shared pool is the same object across outages):
    // idle, a probe runs every second, and the lookup (a config read) was repeated work in each.
    AtomicReference<JdbcDataSource> source = new AtomicReference<>();
    return () -> {
      JdbcDataSource pool = source.updateAndGet(known -> known != null ? known : lookup(system));
      try (Connection connection = pool.createConnection()) {
        if (!connection.isValid(seconds)) {
          throw new SQLException("The journal's database connection is not valid");
        }
      } catch (SQLException | RuntimeException e) {
        evictConnections(pool);
        throw e;
      }
    };
  }

  private static JdbcDataSource lookup(ActorSystem<?> system) {
    SlickExtensionImpl slick = (SlickExtensionImpl) SlickExtension.get(system);
    return slick.database(system.settings().config().getConfig("jdbc-journal")).database().source();
  }

  /** Idle connections close now, busy ones when returned; new ones are opened on demand. */
  private static void evictConnections(JdbcDataSource source) {
    if (source instanceof HikariCPJdbcDataSource hikari && hikari.ds().getHikariPoolMXBean() != null) {
      hikari.ds().getHikariPoolMXBean().softEvictConnections();
    }
  }
}
