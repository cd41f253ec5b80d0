package org.browseros.ipc.protocol.dataplane;

/**
 * Main's answer to {@link DataPlaneWire#OPEN}: where the data-plane socket is and the single-use
 * token that binds a socket to the session that asked (handed over the authenticated Artery session).
 *
 * @param path the Unix domain socket, in an owner-only directory under main's data dir
 * @param token random, single-use, valid for a few seconds
 */
public record DataPlaneOffer(String path, String token) {}
