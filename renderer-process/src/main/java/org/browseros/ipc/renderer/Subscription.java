package org.browseros.ipc.renderer;

/** A registered listener; {@link #unsubscribe()} removes it (idempotent). */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  void unsubscribe();

  @Override
  default void close() {
    unsubscribe();
  }
}
