package org.browseros.ipc.protocol.session;

import org.browseros.ipc.protocol.CborSerializable;

/** Main's answer to a {@link Heartbeat}, echoing its fields. */
public record HeartbeatAck(long seq, long sentAtNanos) implements ToRenderer, CborSerializable {}
