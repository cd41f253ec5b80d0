package org.browseros.ipc.protocol.settings;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code settings:update}: {@code value} is checked against the key's schema in main. */
public record SettingsUpdate(String key, JsonNode value) {}
