package org.browseros.ipc.protocol.navigation;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code navigate:forward}; replies with the tab. */
public record NavigateForward(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String tabId) {}
