package org.browseros.ipc.main.persistence;

import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.slf4j.Logger;

/**
 * A bug in a command handler restarts the actor (it recovers from its journal), but the message
 * that triggered it is gone with the old incarnation: without this, its asker would only see a
 * TIMEOUT. The failing request alone gets {@code INTERNAL}; the exception still reaches the
 * supervisor, so the restart happens as before.
 */
public final class CommandFailures {
  private CommandFailures() {}

  public static <C, E, S> CommandHandler<C, E, S> answerInternalOnFailure(
      CommandHandler<C, E, S> handler, Logger log, String actor) {
    return (state, command) -> {
      try {
        return handler.apply(state, command);
      } catch (RuntimeException e) {
        log.error("[{}] failed on [{}]: restarting it from its journal", actor, command.getClass().getSimpleName(), e);
        if (command instanceof Answerable<?> answerable) {
          answerable.replyTo().tell(StatusReply.error(new IpcException(ErrorCode.INTERNAL,
              "Internal error in " + actor + " while handling " + command.getClass().getSimpleName())));
        }
        throw e;
      }
    };
  }
}
