package org.browseros.ipc.protocol.window;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code window:create}: both fields optional. */
public record WindowCreate(
    @Size(max = Limits.MAX_TITLE_LENGTH) String title,
    @jakarta.validation.Valid Bounds bounds) {}
