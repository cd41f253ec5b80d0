package org.browseros.ipc.protocol.state;

/** {@code state:resync}: a renderer asks for a snapshot, telling the version it has. */
public record StateResync(long haveVersion) {}
