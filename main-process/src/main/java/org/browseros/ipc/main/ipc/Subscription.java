package org.browseros.ipc.main.ipc;

/** Returned by {@code on}/{@code once}: unsubscribes the listener. Idempotent. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
  void unsubscribe();

  @Override
  default void close() {
    unsubscribe();
  }
}
