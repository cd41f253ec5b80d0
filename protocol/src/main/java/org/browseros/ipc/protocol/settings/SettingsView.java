package org.browseros.ipc.protocol.settings;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** Reply to {@code settings:get}: the requested settings (all, or the one asked for) and the version. */
public record SettingsView(Map<String, JsonNode> settings, long version) {}
