package org.browseros.ipc.protocol.window;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code window:update}: every field but {@code windowId} is optional; absent means unchanged. */
public record WindowUpdate(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String windowId,
    @Size(max = Limits.MAX_TITLE_LENGTH) String title,
    @jakarta.validation.Valid Bounds bounds,
    WindowState state,
    Boolean focused) {}
