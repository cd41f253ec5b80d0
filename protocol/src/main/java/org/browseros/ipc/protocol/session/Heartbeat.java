package org.browseros.ipc.protocol.session;

import org.browseros.ipc.protocol.CborSerializable;

/**
 * Application-level liveness: remote DeathWatch is unavailable under untrusted mode, so each side
 * learns the other is alive from heartbeats and their acks.
 */
public record Heartbeat(long seq, long sentAtNanos) implements ToMain, CborSerializable {}
