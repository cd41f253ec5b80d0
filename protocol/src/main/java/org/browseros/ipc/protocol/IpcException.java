package org.browseros.ipc.protocol;

/** An {@link IpcError} as a Java exception, so that futures can fail with a typed code. */
public final class IpcException extends RuntimeException {
  private final IpcError error;

  public IpcException(IpcError error) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  public IpcException(ErrorCode code, String message) {
    this(IpcError.of(code, message));
  }

  public IpcError error() {
    return error;
  }

  public ErrorCode code() {
    return error.code();
  }

  /** The typed error behind any throwable: an {@code IpcException} keeps its code, others are INTERNAL. */
  public static IpcError errorOf(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof java.util.concurrent.CompletionException
            || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof IpcException e) {
      return e.error();
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return IpcError.of(ErrorCode.TIMEOUT, String.valueOf(cause.getMessage()));
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return IpcError.of(ErrorCode.INTERNAL, message);
  }
}
