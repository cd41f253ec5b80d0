package org.browseros.ipc.main.gateway;

import org.browseros.ipc.protocol.Envelope;

/**
 * Which thread runs one connection's {@link org.browseros.ipc.main.ipc.IpcMain} handler now: a push
 * to that renderer from that thread is the handler's own, and is written before the handler's reply,
 * as Electron's {@code event.sender.send} inside {@code ipcMain.handle} arrives before the invoke
 * resolves (through the connection's mailbox it would follow the reply). The registry keeps one per
 * connection; the connection marks its handler calls.
 *
 * <p>Plain fields, on purpose: only the connection's thread of the moment writes them, and a thread
 * only compares {@code thread} with itself. It sees its own last write, and no other thread ever
 * writes its reference there, so a stale value can only say "not me". (A thread-local did the same
 * at the cost of a set and a remove per handler call on the reader's hot path.)
 */
final class OwnHandler {
  private Connection connection;
  private Thread thread;

  /** The connection, once it has this (on its own thread). */
  void attach(Connection connection) {
    this.connection = connection;
  }

  /** A handler call of the attached connection starts on this thread; returns what to {@link #exit} with. */
  Thread enter() {
    Thread outer = thread;
    thread = Thread.currentThread();
    return outer;
  }

  void exit(Thread outer) {
    thread = outer;
  }

  /** Writes {@code envelope} now if this thread runs the connection's handler (with the push checks); false otherwise. */
  boolean pushIfHandling(Envelope envelope) {
    Connection c = connection;
    if (thread != Thread.currentThread() || c == null) {
      return false;
    }
    c.pushFromOwnHandler(envelope);
    return true;
  }
}
