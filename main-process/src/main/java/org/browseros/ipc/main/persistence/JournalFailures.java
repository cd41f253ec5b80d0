package org.browseros.ipc.main.persistence;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * How every event-sourced domain actor reacts when the journal fails: restart and recover, with
 * backoff. The cap is short so that an actor whose recovery failed during an outage is back within
 * about two seconds of the journal (the domain refuses writes meanwhile, see {@link JournalHealth}).
 */
public final class JournalFailures {
  private JournalFailures() {}

  public static final BackoffSupervisorStrategy RESTART_WITH_BACKOFF =
      SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(2), 0.1);
}
