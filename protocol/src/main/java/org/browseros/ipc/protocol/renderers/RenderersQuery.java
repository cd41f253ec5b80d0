package org.browseros.ipc.protocol.renderers;

/** {@code renderers:list}: takes no fields. */
public record RenderersQuery() {}
