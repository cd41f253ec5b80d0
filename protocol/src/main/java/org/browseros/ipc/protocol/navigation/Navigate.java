package org.browseros.ipc.protocol.navigation;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code navigate}: load {@code url} in the tab; replies with the tab. */
public record Navigate(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String tabId,
    @NotBlank @Size(max = Limits.MAX_URL_LENGTH) String url) {}
