package org.browseros.ipc.main.persistence;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * A command someone waits for. If handling it throws, {@link CommandFailures} answers it with
 * {@code INTERNAL} before the actor restarts, so the asker learns at once instead of by timeout.
 */
public interface Answerable<T> {
  ActorRef<StatusReply<T>> replyTo();
}
