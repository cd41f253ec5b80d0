package org.browseros.ipc.protocol.session;

import org.browseros.ipc.protocol.CborSerializable;

/** A renderer (or console) leaving on purpose; main closes its connection at once. */
public record Goodbye(String reason) implements ToMain, CborSerializable {}
