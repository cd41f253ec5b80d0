package org.browseros.ipc.protocol.navigation;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code navigate:back}; replies with the tab. */
public record NavigateBack(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String tabId) {}
