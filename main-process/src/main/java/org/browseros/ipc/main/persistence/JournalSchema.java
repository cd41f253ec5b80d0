package org.browseros.ipc.main.persistence;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/** Creates the pekko-persistence-jdbc tables (journal, tags, snapshots, durable state) when missing. */
public final class JournalSchema {
  private JournalSchema() {}

  /**
   * Applies the plugin's create script for the configured database (H2 or PostgreSQL, chosen from
   * the Slick profile). Statements that fail because their object already exists are skipped by
   * the plugin, so this is safe at every start-up.
   */
  public static CompletionStage<Done> createIfNotExists(ActorSystem<?> system) {
    return SchemaUtils.createIfNotExists(system);
  }
}
