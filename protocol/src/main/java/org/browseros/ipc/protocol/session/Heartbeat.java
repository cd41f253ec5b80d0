package org.browseros.ipc.protocol.session;

import org.browseros.ipc.protocol.CborSerializable;

/**
 * Application-level liveness: remote DeathWatch is unavailable under untrusted mode, so each side
 * learns the other is alive from heartbeats and their acks.
 *
 * @param processed how many envelopes from main this session's renderer has processed so far: main
 *     subtracts it from the envelopes it sent to know how far behind the renderer is (flow control)
 */
public record Heartbeat(long seq, long sentAtNanos, long processed) implements ToMain, CborSerializable {}
