package org.browseros.ipc.protocol.tab;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code tab:create}: {@code url} defaults to the homepage setting, {@code active} to true. */
public record TabCreate(
    @NotBlank @Size(max = Limits.MAX_ID_LENGTH) @Pattern(regexp = Limits.ID_PATTERN) String windowId,
    @Size(max = Limits.MAX_URL_LENGTH) String url,
    Boolean active) {}
