package org.browseros.ipc.protocol.session;

import org.browseros.ipc.protocol.CborSerializable;
import org.browseros.ipc.protocol.IpcError;

/** The gateway's answer to a {@link Hello} it does not accept (unknown, reused or wrong secret). */
public record Refused(IpcError error) implements ToRenderer, CborSerializable {}
