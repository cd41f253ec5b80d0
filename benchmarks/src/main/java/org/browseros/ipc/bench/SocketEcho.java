package org.browseros.ipc.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The floors: blocking length-prefixed ping-pong over loopback TCP and over a Unix domain socket,
 * no framework. {@code main} is the echo server (its own JVM); {@link #pingPong} the client.
 */
public final class SocketEcho {
  private SocketEcho() {}

  /** {@code tcp} (prints the port) or {@code uds <path>}; echoes one connection, then exits. */
  public static void main(String[] args) throws Exception {
    ServerSocketChannel server;
    if (args[0].equals("tcp")) {
      server = ServerSocketChannel.open(StandardProtocolFamily.INET);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      System.out.println("READY " + ((InetSocketAddress) server.getLocalAddress()).getPort());
    } else {
      Path path = Path.of(args[1]);
      Files.deleteIfExists(path);
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path));
      System.out.println("READY " + path);
    }
    System.out.flush();
    try (SocketChannel ch = server.accept()) {
      if (args[0].equals("tcp")) {
        ch.socket().setTcpNoDelay(true);
      }
      ByteBuffer header = ByteBuffer.allocate(4);
      ByteBuffer body = ByteBuffer.allocate(2 << 20);
      while (true) {
        header.clear();
        if (!readFully(ch, header)) {
          break;
        }
        int n = header.flip().getInt(0);
        body.clear().limit(n);
        readFully(ch, body);
        header.rewind();
        body.flip();
        ch.write(new ByteBuffer[] {header, body});
        while (body.hasRemaining()) {
          ch.write(body);
        }
      }
    }
    server.close();
  }

  static boolean readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Sequential round trips of {@code bytes} over a connected channel, each caller blocked in its read. */
  static Histogram pingPong(SocketChannel ch, int bytes, int warmup, int count) throws IOException {
    return pingPongSpinning(ch, bytes, warmup, count, 0);
  }

  /**
   * As {@link #pingPong}, but the caller waits for each reply as {@code IpcRenderer.invokeSync} does:
   * it polls the socket for up to {@code spinNanos}, then blocks. The floor that row is judged against.
   * With {@code spinNanos} 0 the channel stays in blocking mode throughout.
   */
  static Histogram pingPongSpinning(SocketChannel ch, int bytes, int warmup, int count, long spinNanos) throws IOException {
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    ByteBuffer out = ByteBuffer.allocate(4 + bytes);
    ByteBuffer in = ByteBuffer.allocate(4 + bytes);
    try {
      for (int i = 0; i < warmup + count; i++) {
        long t0 = System.nanoTime();
        out.clear();
        out.putInt(bytes).position(4 + bytes).flip();
        if (spinNanos > 0) {
          ch.configureBlocking(true);
        }
        while (out.hasRemaining()) {
          ch.write(out);
        }
        in.clear();
        if (spinNanos > 0) {
          ch.configureBlocking(false);
          while (in.hasRemaining() && System.nanoTime() - t0 < spinNanos) {
            if (ch.read(in) < 0) {
              throw new IOException("the echo server closed the socket");
            }
            Thread.onSpinWait();
          }
          ch.configureBlocking(true);
        }
        readFully(ch, in);
        long t = System.nanoTime() - t0;
        if (i >= warmup) {
          h.recordValue(t);
        }
      }
    } finally {
      ch.configureBlocking(true);
    }
    return h;
  }

  static SocketChannel connectTcp(int port) throws IOException {
    SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    ch.socket().setTcpNoDelay(true);
    return ch;
  }

  static SocketChannel connectUds(Path path) throws IOException {
    return SocketChannel.open(UnixDomainSocketAddress.of(path));
  }
}
