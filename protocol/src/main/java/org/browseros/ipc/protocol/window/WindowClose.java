package org.browseros.ipc.protocol.window;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code window:close}. */
public record WindowClose(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String windowId) {}
