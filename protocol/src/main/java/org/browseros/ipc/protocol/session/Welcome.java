package org.browseros.ipc.protocol.session;

import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.CborSerializable;

/**
 * The gateway's answer to a valid {@link Hello}: the renderer's own connection actor (the only
 * main-side reference it ever gets) and how often to send heartbeats.
 *
 * @param resumeToken single-use secret for the renderer's next {@link Hello} when it reconnects
 *     (after a lost connection or a main restart); null where main offers no resume (consoles)
 * @param mainInstanceId random per main start: a renderer that reconnects learns whether it is
 *     the same main (which deduplicates re-sent request ids) or a restarted one
 */
public record Welcome(
    String rendererId, String capability, String profileId, ActorRef<ToMain> connection, long heartbeatIntervalMillis,
    String resumeToken, String mainInstanceId)
    implements ToRenderer, CborSerializable {

  /** A welcome without resume (test doubles, consoles). */
  public Welcome(String rendererId, String capability, String profileId, ActorRef<ToMain> connection,
      long heartbeatIntervalMillis) {
    this(rendererId, capability, profileId, connection, heartbeatIntervalMillis, null, null);
  }

  @Override
  public String toString() {
    return "Welcome[rendererId=" + rendererId + ", capability=" + capability + ", profileId=" + profileId
        + ", connection=" + connection + ", heartbeatIntervalMillis=" + heartbeatIntervalMillis
        + ", resumeToken=" + (resumeToken == null ? "null" : "<redacted>") + ", mainInstanceId=" + mainInstanceId + "]";
  }
}
