package org.browseros.ipc.protocol.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Frames over a real Unix socket pair: whole, in order, coalesced, bounded. */
class FrameSocketTest {
  @TempDir
  Path dir;

  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** Collects frame bodies (kind byte first) and counts readDrained calls. */
  static class Collector implements FrameSocket.Handler {
    final LinkedBlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
    final AtomicInteger drained = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    final CountDownLatch go;

    Collector(CountDownLatch go) {
      this.go = go;
    }

    @Override
    public void frame(ByteBuffer body) throws InterruptedException {
      go.await();
      byte[] b = new byte[body.remaining()];
      body.get(b);
      frames.add(b);
    }

    @Override
    public void oversize(int length) {}

    @Override
    public void closed(String reason, boolean malformed) {
      closed.countDown();
    }

    @Override
    public void readDrained() {
      drained.incrementAndGet();
    }

    byte[] next() throws InterruptedException {
      byte[] b = frames.poll(20, TimeUnit.SECONDS);
      if (b == null) {
        throw new AssertionError("no frame within 20 s");
      }
      return b;
    }
  }

  /** Two connected sockets: [sender, receiver]. */
  private FrameSocket[] pair(long maxPending) throws IOException {
    return pair(maxPending, maxPending / 2);
  }

  /** Two connected sockets: [sender, receiver], the sender with its own send window. */
  private FrameSocket[] pair(long maxPending, long sendWindow) throws IOException {
    Path path = dir.resolve("s-" + open.size() + ".sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(path));
      SocketChannel a = FrameSocket.connect(path);
      SocketChannel b = server.accept();
      FrameSocket sender = new FrameSocket(a, 4 * 1024 * 1024, maxPending, sendWindow);
      FrameSocket receiver = new FrameSocket(b, 4 * 1024 * 1024, maxPending);
      open.add(sender);
      open.add(receiver);
      return new FrameSocket[] {sender, receiver};
    }
  }

  /** A frame: kind byte, int thread, int seq, then {@code filler} bytes of (seq & 0x7f). */
  private static ByteBuffer frame(int thread, int seq, int filler) {
    int body = 1 + 4 + 4 + filler;
    ByteBuffer f = ByteBuffer.allocate(4 + body);
    f.putInt(body).put(DataPlaneWire.KIND_ENVELOPE).putInt(thread).putInt(seq);
    for (int i = 0; i < filler; i++) {
      f.put((byte) (seq & 0x7f));
    }
    return f.flip();
  }

  /** The frame as three consecutive slices: the length prefix and a little more, the middle, the rest. */
  private static ByteBuffer[] inParts(ByteBuffer frame) {
    int n = frame.remaining();
    int a = 6;
    int b = a + (n - a) / 2;
    return new ByteBuffer[] {frame.slice(0, a), frame.slice(a, b - a), frame.slice(b, n - b)};
  }

  private static void check(byte[] body, int thread, int seq, int filler) {
    ByteBuffer b = ByteBuffer.wrap(body);
    assertEquals(DataPlaneWire.KIND_ENVELOPE, b.get());
    assertEquals(thread, b.getInt(), "thread");
    assertEquals(seq, b.getInt(), "seq of thread " + thread);
    assertEquals(filler, b.remaining(), "length of " + thread + "/" + seq);
    while (b.hasRemaining()) {
      assertEquals((byte) (seq & 0x7f), b.get(), "content of " + thread + "/" + seq);
    }
  }

  private static int filler(int seq) {
    // Mostly small, now and then above the 64 KiB write buffer.
    return seq % 97 == 0 ? 70_000 + seq : 100 + seq % 300;
  }

  @Test
  void shouldDeliverFramesFromSeveralThreadsWholeAndInEachThreadsOrderWhetherSentWholeOrInParts() throws Exception {
    FrameSocket[] p = pair(64L * 1024 * 1024);
    Collector in = new Collector(new CountDownLatch(0));
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    int threads = 4;
    int perThread = 3000;
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      senders.add(new Thread(() -> {
        try {
          for (int i = 0; i < perThread; i++) {
            // Every third frame in three parts, as a large envelope's head and payload go.
            p[0].send(i % 3 == 0 ? inParts(frame(thread, i, filler(i))) : new ByteBuffer[] {frame(thread, i, filler(i))});
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    senders.forEach(Thread::start);

    int[] next = new int[threads];
    for (int k = 0; k < threads * perThread; k++) {
      byte[] body = in.next();
      int thread = ByteBuffer.wrap(body, 1, 4).getInt();
      check(body, thread, next[thread], filler(next[thread]));
      next[thread]++;
    }
    for (Thread s : senders) {
      s.join(20_000);
    }
    assertTrue(in.drained.get() > 0, "readDrained was called");
    assertEquals(0, p[0].pendingBytes());
  }

  /** A collector that also notes the threads that handed frames over and whether each counted as reading. */
  static class ThreadRecorder extends Collector {
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    final AtomicInteger notReading = new AtomicInteger();
    volatile FrameSocket socket;
    volatile Runnable onFrame = () -> {};

    ThreadRecorder() {
      super(new CountDownLatch(0));
    }

    @Override
    public void frame(ByteBuffer body) throws InterruptedException {
      if (!socket.isReading()) {
        notReading.incrementAndGet();
      }
      threads.add(Thread.currentThread().getName());
      onFrame.run();
      super.frame(body);
    }
  }

  @Test
  void shouldKeepFramesWholeAndInOrderWhileACallerReadsInTheReadersPlace() throws Exception {
    FrameSocket[] p = pair(64L * 1024 * 1024);
    ThreadRecorder in = new ThreadRecorder();
    in.socket = p[1];
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    int count = 3000;
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger callerReads = new AtomicInteger();
    Thread caller = new Thread(() -> {
      while (!done.get()) {
        if (p[1].readNow()) {
          callerReads.incrementAndGet();
        }
        Thread.onSpinWait();
      }
    }, "polling-caller");
    caller.start();
    try {
      for (int i = 0; i < count; i++) {
        // Every third frame in parts; large ones span several reads, which the two threads may share.
        p[0].send(i % 3 == 0 ? inParts(frame(0, i, filler(i))) : new ByteBuffer[] {frame(0, i, filler(i))});
        if (i % 50 == 0) {
          Thread.sleep(1);
        }
      }
      for (int i = 0; i < count; i++) {
        check(in.next(), 0, i, filler(i));
      }
    } finally {
      done.set(true);
      caller.join(20_000);
    }
    assertTrue(callerReads.get() > 0, "the caller read");
    assertTrue(in.threads.contains("polling-caller"), "frames were handed over on the caller's thread: " + in.threads);
    assertEquals(0, in.notReading.get(), "a thread that hands frames over counts as reading (isReading)");
    assertFalse(p[1].isReading(), "this thread is not reading");
  }

  @Test
  void shouldNotReadNowWhileTheReaderIsReadingOrFromAHandler() throws Exception {
    FrameSocket[] p = pair(1024 * 1024);
    ThreadRecorder in = new ThreadRecorder();
    in.socket = p[1];
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Boolean> nested = new CopyOnWriteArrayList<>();
    in.onFrame = () -> {
      nested.add(p[1].readNow());
      inHandler.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    p[1].start("receiver", in);
    p[0].send(frame(0, 0, 10));
    assertTrue(inHandler.await(20, TimeUnit.SECONDS));
    assertEquals(List.of(false), nested, "a handler does not read again in its own read");
    assertFalse(p[1].readNow(), "the reader thread holds the read while its handler runs");
    release.countDown();
    check(in.next(), 0, 0, 10);
  }

  @Test
  void shouldDeliverABurstQueuedWhileThePeerIsNotReadingInOrder() throws Exception {
    FrameSocket[] p = pair(64L * 1024 * 1024);
    CountDownLatch go = new CountDownLatch(1);
    Collector in = new Collector(go);
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    int count = 0;
    // The receiver holds its first frame: the kernel buffers fill, the rest waits in the outbox.
    while (p[0].pendingBytes() < 1024 * 1024) {
      p[0].send(frame(0, count, filler(count)));
      count++;
    }
    assertTrue(p[0].pendingBytes() > 0, "a burst is queued");

    go.countDown();
    for (int i = 0; i < count; i++) {
      check(in.next(), 0, i, filler(i));
    }
    assertEquals(0, p[0].pendingBytes());
    // The reader handed over many frames per read (readDrained once per read).
    assertTrue(in.drained.get() < count, in.drained.get() + " reads for " + count + " frames");
  }

  @Test
  void shouldCutOffAPeerThatDoesNotRead() throws Exception {
    FrameSocket[] p = pair(256 * 1024);
    CountDownLatch never = new CountDownLatch(1);
    p[1].start("receiver", new Collector(never));
    Collector senderSide = new Collector(new CountDownLatch(0));
    p[0].start("sender", senderSide);

    IOException e = assertThrows(IOException.class, () -> {
      for (int i = 0; i < 100_000; i++) {
        p[0].send(frame(0, i, 1000));
      }
    });

    assertTrue(e.getMessage().contains("does not read"), e.getMessage());
    assertTrue(senderSide.closed.await(20, TimeUnit.SECONDS));
    assertFalse(p[0].isOpen());
    never.countDown();
  }

  @Test
  void shouldReadALargeFrameInTheTwoPartsItsHandlerAsksFor() throws Exception {
    FrameSocket[] p = pair(64L * 1024 * 1024);
    AtomicInteger splits = new AtomicInteger();
    Collector in = new Collector(new CountDownLatch(0)) {
      @Override
      public int split(ByteBuffer start, int length) {
        // The test frame's head: kind, thread, seq (9 bytes), when this read brought all of it.
        return start.remaining() >= 9 ? 9 : 0;
      }

      @Override
      public void frame(ByteBuffer head, byte[] rest) {
        assertEquals(9, head.remaining());
        splits.incrementAndGet();
        frames.add(ByteBuffer.allocate(9 + rest.length).put(head).put(rest).array());
      }
    };
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    int[] fillers = {100, FrameSocket.SPLIT_FROM - 9, FrameSocket.SPLIT_FROM, 200_000, 10, 1_000_000, 3_000_000, 100};
    for (int i = 0; i < fillers.length; i++) {
      p[0].send(frame(0, i, fillers[i]));
    }
    for (int i = 0; i < fillers.length; i++) {
      check(in.next(), 0, i, fillers[i]);
    }
    // Frames of SPLIT_FROM bytes or more were offered; a read boundary inside a head reads it whole.
    assertTrue(splits.get() >= 1 && splits.get() <= 5, "split " + splits.get() + " of the 5 large frames");
  }

  @Test
  void shouldWriteALoneFrameAtOnce() throws Exception {
    FrameSocket[] p = pair(1024 * 1024);
    Collector in = new Collector(new CountDownLatch(0));
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));

    p[0].send(frame(9, 1, 10));

    // Nothing queued after send returns: the sender wrote it itself.
    assertEquals(0, p[0].pendingBytes());
    check(in.next(), 9, 1, 10);
  }

  @Test
  void shouldReadAReplyAndFlushAPostedFrameWhileItsReaderPolls() throws Exception {
    FrameSocket[] p = pair(1024 * 1024);
    Collector atSender = new Collector(new CountDownLatch(0));
    Collector atReceiver = new Collector(new CountDownLatch(0));
    p[0].start("sender", atSender);
    p[1].start("receiver", atReceiver);
    Thread.sleep(100); // the sender's reader is blocked in select(): pollFor must wake it

    p[0].pollFor(TimeUnit.SECONDS.toNanos(30));
    p[1].send(frame(1, 1, 10));
    check(atSender.next(), 1, 1, 10);
    // selectNow() while polling clears the wakeup() a post makes: the poll must still flush it.
    p[0].post(frame(2, 1, 10));
    byte[] posted = atReceiver.frames.poll(2, TimeUnit.SECONDS);
    assertTrue(posted != null, "a frame posted while the reader polls waited for the poll to end");
    check(posted, 2, 1, 10);

    // A close ends a polling reader too.
    p[0].close();
    assertTrue(atSender.closed.await(2, TimeUnit.SECONDS), "the polling reader did not see the close");
  }

  @Test
  void shouldKeepOrderBetweenPostedAndSentFramesAndWriteABurstInFewReads() throws Exception {
    FrameSocket[] p = pair(64L * 1024 * 1024);
    Collector in = new Collector(new CountDownLatch(0));
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    int count = 20_000;

    // One thread: mostly posted one-way frames, every 50th sent directly (as an invoke is).
    for (int i = 0; i < count; i++) {
      if (i % 50 == 0) {
        p[0].send(frame(0, i, 100));
      } else {
        p[0].post(frame(0, i, 100));
      }
    }

    for (int i = 0; i < count; i++) {
      check(in.next(), 0, i, 100);
    }
    assertTrue(in.drained.get() < count / 4, in.drained.get() + " reads for " + count + " frames");
    assertEquals(0, p[0].pendingBytes());
  }

  /**
   * Posts {@code count} frames of 1,000 bytes as fast as {@link FrameSocket#awaitRoom} lets the
   * sender, while the receiver starts reading only after 300 ms; checks every frame arrived in order
   * and returns the most bytes that were ever pending.
   */
  private long floodWithALateReader(FrameSocket[] p, int count) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    Collector in = new Collector(go);
    p[1].start("receiver", in);
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      go.countDown();
    });
    release.start();

    long maxPending = 0;
    for (int i = 0; i < count; i++) {
      assertTrue(p[0].awaitRoom(java.time.Duration.ofSeconds(20)), "room within 20 s");
      p[0].post(frame(0, i, 1000));
      maxPending = Math.max(maxPending, p[0].pendingBytes());
    }
    for (int i = 0; i < count; i++) {
      check(in.next(), 0, i, 1000);
    }
    release.join();
    return maxPending;
  }

  @Test
  void shouldMakeAFastSenderWaitForRoomInsteadOfBeingCutOff() throws Exception {
    FrameSocket[] p = pair(256 * 1024);
    long maxPending = floodWithALateReader(p, 5_000); // 5 MB: twenty times the pending-bytes bound
    assertTrue(p[0].isOpen(), "not cut off");
    assertTrue(maxPending <= 256 * 1024, "queue stayed bounded: " + maxPending);
  }

  @Test
  void shouldKeepAFastSendersQueueWithinItsSendWindow() throws Exception {
    FrameSocket[] p = pair(16 * 1024 * 1024, 32 * 1024);
    long maxPending = floodWithALateReader(p, 2_000);
    // The window plus the one frame posted after the last look (not half of the 16 MiB bound).
    assertTrue(maxPending <= 32 * 1024 + 1100, "queue stayed within the window: " + maxPending);
    try (SocketChannel unused = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      assertThrows(IllegalArgumentException.class, () -> new FrameSocket(unused, 1024, 1024, 2048), "a window above the bound");
    }
  }

  @Test
  void shouldGiveUpWaitingForRoomWhenThePeerNeverReads() throws Exception {
    FrameSocket[] p = pair(256 * 1024);
    CountDownLatch never = new CountDownLatch(1);
    p[1].start("receiver", new Collector(never));
    p[0].start("sender", new Collector(new CountDownLatch(0)));
    boolean room = true;
    for (int i = 0; i < 1_000 && room; i++) {
      room = p[0].awaitRoom(java.time.Duration.ofMillis(200));
      if (room) {
        p[0].post(frame(0, i, 1000));
      }
    }
    assertFalse(room, "no room while the peer reads nothing");
    never.countDown();
  }
}
