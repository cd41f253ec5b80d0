package org.browseros.ipc.main.security;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.EventStream;
import org.apache.pekko.event.LogMarker;
import org.apache.pekko.event.slf4j.Slf4jLoggingFilter;

/**
 * The edge system's {@code pekko.logging-filter}: SLF4J levels as usual, plus DEBUG from Artery's
 * {@code MessageDispatcher}, whatever the log levels say.
 *
 * <p>Why: in untrusted mode Artery drops a selection outside the trusted paths, a
 * {@code PossiblyHarmful} or system message, or a message to the remote daemon with nothing but a
 * DEBUG log event (checked in Pekko 1.7.0's {@code artery/MessageDispatcher.scala}: no
 * {@code Dropped}, no dead letter, no metric), and only publishes it when DEBUG is enabled for its
 * log source when the transport starts. This filter publishes those events on the edge's own event
 * stream, where {@link ArteryDrops} counts them; the SLF4J logger does not print them unless
 * {@code pekko.loglevel} and the SLF4J level are DEBUG, as before.
 */
public final class ArteryDropFilter extends Slf4jLoggingFilter {
  /** Artery's dispatcher logs through {@code Logging.withMarker(system, getClass.getName)}: "class(system)". */
  static final String DISPATCHER_SOURCE = "org.apache.pekko.remote.artery.MessageDispatcher";

  public ArteryDropFilter(ActorSystem.Settings settings, EventStream eventStream) {
    super(settings, eventStream);
  }

  @Override
  public boolean isDebugEnabled(Class<?> logClass, String logSource) {
    return isDispatcher(logSource) || super.isDebugEnabled(logClass, logSource);
  }

  @Override
  public boolean isDebugEnabled(Class<?> logClass, String logSource, LogMarker marker) {
    return isDispatcher(logSource) || super.isDebugEnabled(logClass, logSource, marker);
  }

  static boolean isDispatcher(String logSource) {
    return logSource != null && logSource.startsWith(DISPATCHER_SOURCE);
  }
}
