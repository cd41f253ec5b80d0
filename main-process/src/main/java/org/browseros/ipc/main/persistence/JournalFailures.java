package org.browseros.ipc.main.persistence;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/** How every event-sourced domain actor reacts when the journal fails: restart and recover, with backoff. */
public final class JournalFailures {
  private JournalFailures() {}

  public static final BackoffSupervisorStrategy RESTART_WITH_BACKOFF =
      SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1);
}
