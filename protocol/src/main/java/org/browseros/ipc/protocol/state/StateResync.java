package org.browseros.ipc.protocol.state;

import jakarta.validation.constraints.*;
import org.browseros.ipc.protocol.Limits;

/** {@code state:resync}: a renderer asks for a snapshot, telling the version it has. */
public record StateResync(@PositiveOrZero long haveVersion) {}
