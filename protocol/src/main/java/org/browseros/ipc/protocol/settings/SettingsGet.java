package org.browseros.ipc.protocol.settings;

/** {@code settings:get}: one key, or every setting when {@code key} is absent. */
public record SettingsGet(String key) {}
