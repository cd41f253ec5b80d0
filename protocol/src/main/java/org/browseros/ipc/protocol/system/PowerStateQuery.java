package org.browseros.ipc.protocol.system;

/** {@code power:state}: takes no fields. */
public record PowerStateQuery() {}
