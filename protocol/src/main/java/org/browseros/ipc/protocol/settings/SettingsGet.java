package org.browseros.ipc.protocol.settings;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code settings:get}: one key, or every setting when {@code key} is absent. */
public record SettingsGet(
    @Size(min = 1, max = Limits.MAX_KEY_LENGTH) @Pattern(regexp = Limits.KEY_PATTERN) String key) {}
