package org.browseros.ipc.protocol.settings;

import com.fasterxml.jackson.databind.JsonNode;

/** One setting and the settings version it was read or written at. */
public record Setting(String key, JsonNode value, long version) {}
