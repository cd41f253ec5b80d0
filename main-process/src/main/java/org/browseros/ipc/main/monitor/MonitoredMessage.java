package org.browseros.ipc.main.monitor;

import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;

/**
 * One envelope as the monitor saw it cross the edge.
 *
 * @param seq the monitor's own sequence number, unique per main process
 * @param atMillis wall clock when it crossed
 * @param inbound true from the renderer to main
 * @param latencyNanos for a reply: the time since its request crossed; else -1
 * @param requestSeq for a reply: the request's seq when the monitor saw it; else -1
 */
public record MonitoredMessage(
    long seq, long atMillis, boolean inbound, String rendererId, Envelope envelope, long latencyNanos, long requestSeq) {

  public String channel() {
    return envelope.channel();
  }

  public MessageType type() {
    return envelope.type();
  }

  public boolean isReply() {
    return envelope.inReplyTo() != null;
  }
}
