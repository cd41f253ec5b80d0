package org.browseros.ipc.protocol.settings;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code settings:update}: {@code value} is checked against the key's schema in main. */
public record SettingsUpdate(
    @NotBlank @Size(max = Limits.MAX_KEY_LENGTH) @Pattern(regexp = Limits.KEY_PATTERN) String key,
    JsonNode value) {}
