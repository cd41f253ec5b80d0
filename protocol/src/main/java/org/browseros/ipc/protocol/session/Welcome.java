package org.browseros.ipc.protocol.session;

import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.CborSerializable;

/**
 * The gateway's answer to a valid {@link Hello}: the renderer's own connection actor (the only
 * main-side reference it ever gets) and how often to send heartbeats.
 */
public record Welcome(
    String rendererId, String capability, String profileId, ActorRef<ToMain> connection, long heartbeatIntervalMillis)
    implements ToRenderer, CborSerializable {}
