package org.browseros.ipc.protocol.tab;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code tab:update}: every field but {@code tabId} is optional; absent means unchanged. */
public record TabUpdate(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String tabId,
    @Size(max = Limits.MAX_TITLE_LENGTH) String title,
    Boolean pinned,
    Boolean muted,
    Boolean active) {}
