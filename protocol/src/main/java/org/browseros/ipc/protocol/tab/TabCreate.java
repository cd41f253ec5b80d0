package org.browseros.ipc.protocol.tab;

/** {@code tab:create}: {@code url} defaults to the homepage setting, {@code active} to true. */
public record TabCreate(String windowId, String url, Boolean active) {}
