package org.browseros.ipc.protocol.tab;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code tab:delete}. */
public record TabDelete(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String tabId) {}
