package org.browseros.ipc.protocol;

/** The typed error codes every failed request or refused message carries. */
public enum ErrorCode {
  VALIDATION,
  PERMISSION,
  TIMEOUT,
  CONNECTION,
  NOT_FOUND,
  CONFLICT,
  TOO_LARGE,
  RATE_LIMITED,
  INTERNAL,
  /** The journal is unavailable: writes are refused until it recovers (reads still answer). */
  UNAVAILABLE
}
