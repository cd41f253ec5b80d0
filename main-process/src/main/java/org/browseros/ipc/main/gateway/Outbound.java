package org.browseros.ipc.main.gateway;

import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * The transport seam on the way out: a connection produces envelopes (and session messages) and
 * hands them to its outbound. Artery is one implementation; a faster local data plane can be
 * another, without touching the connection's checks or any domain actor.
 */
public interface Outbound {
  void send(ToRenderer message);
}
