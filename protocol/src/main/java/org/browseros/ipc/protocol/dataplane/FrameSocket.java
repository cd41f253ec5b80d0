package org.browseros.ipc.protocol.dataplane;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One end of a data-plane socket: length-prefixed frames in both directions.
 *
 * <p>One reader thread per socket parses frames and hands each to the {@link Handler} on that
 * thread (the handler enqueues it straight into its actor, and may block for backpressure); a
 * caller that polls for its reply may read in its place meanwhile ({@link #readNow}). Writes
 * happen on the caller's thread, with no hand-off: the socket is non-blocking, so a write never
 * stalls the caller; what the kernel does not take at once is queued, bounded, and flushed by the
 * reader thread when the socket is writable again. A peer that stops reading until that queue is
 * full is cut off.
 *
 * <p>Frames are coalesced, in order: a frame sent while another thread is writing (or while the
 * kernel buffer is full) is queued, and whoever writes next copies every queued frame into one
 * buffer and writes them with one system call. A lone frame is written at once by its sender. A
 * frame may be given in parts (a header and a large payload's own array), which are copied into
 * that buffer one after the other, so that the sender need not join them into one array first.
 *
 * <p>Frames above {@code maxFrame} are skipped without being buffered and reported to
 * {@link Handler#oversize}; a length of zero or less is malformed and closes the socket.
 */
public final class FrameSocket implements AutoCloseable {

  /** What the reader thread delivers. */
  public interface Handler {
    /** A whole frame body (kind byte first), in order. A {@link DataPlaneWire.MalformedFrameException} closes the socket as malformed. */
    void frame(ByteBuffer body) throws IOException, InterruptedException;

    /** A frame of {@code length} bytes above the limit was skipped unread. */
    void oversize(int length);

    /** The socket is closed (once): by the peer, by {@link #close}, or on a malformed frame. */
    void closed(String reason, boolean malformed);

    /**
     * Every frame of one read was handed to {@link #frame} (lets a handler batch its hand-offs); also
     * once when reading stops, before {@link #closed}.
     */
    default void readDrained() {}

    /**
     * A frame of {@code length} bytes, at least {@link #SPLIT_FROM}, begins: how many of its leading
     * bytes to read apart from the rest, so that the rest lands in an array of its own and is
     * delivered through {@link #frame(ByteBuffer, byte[])} (a large payload then needs no copy out of
     * the frame). Judged from {@code start}, the first bytes of the body that one read brought (not
     * to be read from or kept); 0 (the default) reads the frame whole.
     */
    default int split(ByteBuffer start, int length) {
      return 0;
    }

    /** A frame read in two parts, as {@link #split} asked: its first bytes, then the rest. */
    default void frame(ByteBuffer head, byte[] rest) throws IOException, InterruptedException {
      frame(ByteBuffer.allocate(head.remaining() + rest.length).put(head).put(rest).flip());
    }
  }

  /** Frames from this size on are offered to {@link Handler#split}. */
  public static final int SPLIT_FROM = 64 * 1024;

  private static final int READ_BUFFER = 64 * 1024;
  private static final int WRITE_BUFFER = 64 * 1024;

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private final int maxFrame;
  private final long maxPendingBytes;
  private final long sendWindow;
  // Held by whoever writes; frames sent meanwhile wait in the outbox, in the order sent.
  private final ReentrantLock writeLock = new ReentrantLock();
  // Each entry is one frame, in one or more parts.
  private final ConcurrentLinkedQueue<ByteBuffer[]> outbox = new ConcurrentLinkedQueue<>();
  // Bytes sent that the kernel has not taken yet (outbox, the frame being copied, the write buffer).
  private final AtomicLong pendingBytes = new AtomicLong();
  // Under writeLock: what goes to the kernel next, and a frame only partly copied into it.
  // On the heap: frames are copied in with System.arraycopy, and the JDK copies the whole buffer to
  // native memory once per write. A heap-to-direct put per frame went through Unsafe's checks per
  // call, which a renderer's C1-only JIT does not optimize away (a quarter of its writer's CPU).
  private final ByteBuffer out = ByteBuffer.allocate(WRITE_BUFFER);
  private ByteBuffer current;
  private ByteBuffer[] currentFrame;
  private int currentPart;
  // The kernel took nothing more: the reader flushes once the socket is writable.
  private volatile boolean blocked;
  // A frame was posted since the reader last flushed: it writes the outbox when it wakes.
  private final AtomicBoolean flushRequested = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong framesIn = new AtomicLong();
  private final AtomicLong framesOut = new AtomicLong();
  private volatile Handler handler;
  private volatile Thread reader;
  // Held by whoever reads: the reader thread, or a caller polling for its reply (readNow). The frame
  // being read is the state below: its length prefix, then its body (or, split, its head and then
  // the rest in body; bodyPos counts both), or the bytes of an oversize frame still to skip.
  private final ReentrantLock readLock = new ReentrantLock();
  private final ByteBuffer in = ByteBuffer.allocate(READ_BUFFER);
  private final ByteBuffer header = ByteBuffer.allocate(DataPlaneWire.HEADER_BYTES);
  private byte[] head;
  private byte[] body;
  private int bodyPos;
  private long skip;
  // Until then (nanoTime) the reader polls instead of blocking in select(): a reply is due (pollFor).
  private volatile long pollUntil = System.nanoTime();
  // The reader is (about to be) blocked in select(): pollFor wakes it to poll.
  private volatile boolean selecting;

  /**
   * A socket whose senders may queue up to half of {@code maxPendingBytes} before {@link #awaitRoom} waits.
   *
   * @param maxFrame the largest frame body read into memory
   * @param maxPendingBytes bound on written bytes the peer has not taken yet
   */
  public FrameSocket(SocketChannel channel, int maxFrame, long maxPendingBytes) throws IOException {
    this(channel, maxFrame, maxPendingBytes, maxPendingBytes / 2);
  }

  /**
   * @param maxFrame the largest frame body read into memory
   * @param maxPendingBytes bound on written bytes the peer has not taken yet; beyond, the socket closes
   * @param sendWindow written bytes not taken yet above which {@link #awaitRoom} makes a sender wait
   */
  public FrameSocket(SocketChannel channel, int maxFrame, long maxPendingBytes, long sendWindow) throws IOException {
    if (sendWindow <= 0 || sendWindow > maxPendingBytes) {
      throw new IllegalArgumentException("send window " + sendWindow + " outside (0, " + maxPendingBytes + "]");
    }
    this.channel = channel;
    this.maxFrame = maxFrame;
    this.maxPendingBytes = maxPendingBytes;
    this.sendWindow = sendWindow;
    channel.configureBlocking(false);
    this.selector = Selector.open();
    this.key = channel.register(selector, SelectionKey.OP_READ);
  }

  /** Connects to a data-plane socket (a local connect completes at once). */
  public static SocketChannel connect(Path path) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(path));
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Starts the reader thread. */
  public void start(String threadName, Handler handler) {
    this.handler = handler;
    Thread t = new Thread(this::readLoop, threadName);
    t.setDaemon(true);
    reader = t;
    t.start();
  }

  /**
   * A reply is due: for up to {@code nanos} the reader polls the socket instead of blocking in
   * {@code select()}, so that a reply within it finds the reader running, with no wake-up (on a VM
   * the wake-up of a blocked thread costs more than a local round trip). A reader blocked in
   * {@code select()} is woken now, while the request is on its way, rather than by the reply.
   * Extends, never shortens.
   */
  public void pollFor(long nanos) {
    long until = System.nanoTime() + nanos;
    if (nanos > 0 && until - pollUntil > 0) {
      pollUntil = until;
      if (selecting) {
        selector.wakeup();
      }
    }
  }

  /** True when called on this socket's reader thread. */
  public boolean isReaderThread() {
    return Thread.currentThread() == reader;
  }

  /**
   * True when called on a thread that runs the handler now: this socket's reader thread, or a caller
   * inside {@link #readNow}. Such a thread must not wait for a frame it would itself have to read.
   */
  public boolean isReading() {
    return Thread.currentThread() == reader || readLock.isHeldByCurrentThread();
  }

  /**
   * Reads what the kernel holds now on the calling thread and hands every whole frame to the
   * handler here, as the reader thread would: for a caller that polls for its reply (invokeSync)
   * instead of being handed it by the reader thread, whose wake-up would be on the reply's path.
   * Does nothing when another thread is reading, the socket is closed, or the caller is already
   * reading (a handler's callback). Never blocks on the socket; the handler may block as it may on
   * the reader thread. A malformed frame closes the socket, as on the reader thread.
   *
   * @return false when it did not read
   */
  public boolean readNow() {
    if (closed.get() || readLock.isHeldByCurrentThread() || !readLock.tryLock()) {
      return false;
    }
    try {
      readAvailable();
      return true;
    } catch (DataPlaneWire.MalformedFrameException e) {
      close("malformed frame: " + e.getMessage(), true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      close(closed.get() ? "closed" : "read failed: " + e, false);
    } finally {
      readLock.unlock();
    }
    return false;
  }

  public SocketChannel channel() {
    return channel;
  }

  public long framesIn() {
    return framesIn.get();
  }

  public long framesOut() {
    return framesOut.get();
  }

  public boolean isOpen() {
    return !closed.get();
  }

  /**
   * Writes one whole frame (from {@link DataPlaneWire}, in one or more parts) without blocking: at
   * once when no other thread is writing, else with the frames queued before it; queued if the
   * kernel buffer is full. The parts must not change until they are written.
   */
  public void send(ByteBuffer... frame) throws IOException {
    enqueue(frame);
    writeQueued();
  }

  /**
   * Whoever holds the lock writes what is queued before letting go; a frame queued after its last
   * look is written by whoever finds it there after letting go (every writer comes back here), so
   * no frame waits for a next send. While the kernel is full the reader writes on OP_WRITE.
   */
  private void writeQueued() throws IOException {
    while (!blocked && !outbox.isEmpty() && writeLock.tryLock()) {
      try {
        write();
      } finally {
        writeLock.unlock();
      }
    }
  }

  /**
   * Queues one whole frame for the reader thread to write, in order with {@link #send}: for one-way
   * messages, so that a burst from one thread goes out in a few large writes instead of a system
   * call each. Costs the sender one wake-up of the reader per burst, not per frame.
   */
  public void post(ByteBuffer... frame) throws IOException {
    enqueue(frame);
    if (flushRequested.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  private void enqueue(ByteBuffer[] frame) throws IOException {
    if (closed.get()) {
      throw new ClosedChannelException();
    }
    long bytes = 0;
    for (ByteBuffer part : frame) {
      bytes += part.remaining();
    }
    long queued = pendingBytes.addAndGet(bytes);
    outbox.add(frame);
    framesOut.incrementAndGet();
    if (queued > maxPendingBytes) {
      close("the peer does not read: " + queued + " bytes queued", false);
      throw new IOException("data plane closed: the peer does not read");
    }
  }

  /**
   * Backpressure for a sender that may block: waits while more than the send window is queued,
   * until half of it or less is, the socket closed, or {@code maxWait} passed (then false).
   * Returns at once on the reader thread, which is the one that drains the queue, and in a
   * {@link #readNow} (the reader thread may be waiting for that read to end).
   *
   * <p>The window is what keeps a fast sender's queue small: frames waiting in it are live objects,
   * and a queue of megabytes made every young collection of a small renderer heap copy them.
   */
  public boolean awaitRoom(Duration maxWait) throws InterruptedException {
    if (pendingBytes.get() <= sendWindow || isReading()) {
      return true;
    }
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (pendingBytes.get() > sendWindow / 2 && !closed.get()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      // Only a sender faster than its peer gets here; a short park keeps it off the CPU meanwhile.
      LockSupport.parkNanos(200_000);
    }
    return true;
  }

  /** Under writeLock: copies queued frames into the buffer and writes it until all is written or the kernel is full. */
  private void write() throws IOException {
    if (closed.get()) {
      throw new ClosedChannelException();
    }
    while (true) {
      while (out.hasRemaining()) {
        if (current == null) {
          current = nextPart();
          if (current == null) {
            break;
          }
        }
        int n = Math.min(current.remaining(), out.remaining());
        if (current.hasArray()) {
          System.arraycopy(current.array(), current.arrayOffset() + current.position(), out.array(), out.arrayOffset() + out.position(), n);
          current.position(current.position() + n);
          out.position(out.position() + n);
        } else {
          out.put(current.slice(current.position(), n));
          current.position(current.position() + n);
        }
        if (!current.hasRemaining()) {
          current = null;
        }
      }
      out.flip();
      if (!out.hasRemaining()) {
        out.clear();
        return;
      }
      int written = 0;
      int n;
      while (out.hasRemaining() && (n = channel.write(out)) > 0) {
        written += n;
      }
      pendingBytes.addAndGet(-written);
      if (out.hasRemaining()) {
        // The kernel is full: keep the rest in order, and let the reader go on once it is writable.
        out.compact();
        blocked = true;
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        selector.wakeup();
        return;
      }
      out.clear();
    }
  }

  /** Under writeLock: the next part of the frame being copied, else the first of the next queued frame. */
  private ByteBuffer nextPart() {
    if (currentFrame != null && ++currentPart < currentFrame.length) {
      return currentFrame[currentPart];
    }
    currentFrame = outbox.poll();
    currentPart = 0;
    return currentFrame == null ? null : currentFrame[0];
  }

  private void flushPending() throws IOException {
    writeLock.lock();
    try {
      blocked = false;
      key.interestOps(SelectionKey.OP_READ);
      write();
    } finally {
      writeLock.unlock();
    }
    // A sender that found the lock taken (or the kernel full) left its frame to us.
    writeQueued();
  }

  /** On the reader thread: writes what {@link #post} queued, unless the kernel is full (then OP_WRITE does). */
  private void flushPosted() throws IOException {
    flushRequested.set(false);
    writeQueued();
  }

  /** Bytes sent that the peer has not taken yet. */
  public long pendingBytes() {
    return pendingBytes.get();
  }

  private void readLoop() {
    String reason = "closed by the peer";
    boolean malformed = false;
    try {
      while (!closed.get()) {
        awaitReady();
        if (closed.get()) {
          break;
        }
        selector.selectedKeys().clear();
        if (!key.isValid()) {
          break;
        }
        if ((key.readyOps() & SelectionKey.OP_WRITE) != 0) {
          flushPending();
        }
        if (flushRequested.get()) {
          flushPosted();
        }
        if ((key.readyOps() & SelectionKey.OP_READ) == 0) {
          continue;
        }
        // A caller reading for its reply (readNow) finishes first; what it left is read here.
        readLock.lockInterruptibly();
        try {
          if (readAvailable() < 0) {
            break;
          }
        } finally {
          readLock.unlock();
        }
      }
    } catch (DataPlaneWire.MalformedFrameException e) {
      reason = "malformed frame: " + e.getMessage();
      malformed = true;
    } catch (InterruptedException e) {
      reason = "closed";
    } catch (IOException | RuntimeException e) {
      reason = closed.get() ? "closed" : "read failed: " + e;
    } finally {
      try {
        // The frames handed before a failure are handed: the handler finishes with them first.
        handler.readDrained();
      } catch (RuntimeException e) {
        reason = reason + "; then " + e;
      }
      close(reason, malformed);
      try {
        selector.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /**
   * Under readLock: one read of what the kernel holds, every whole frame in it handed to the handler
   * in order, then {@link Handler#readDrained} when something was read. Returns the bytes read, -1 at
   * the end of the stream.
   */
  private int readAvailable() throws IOException, InterruptedException {
    int n = channel.read(in);
    if (n < 0) {
      return n;
    }
    in.flip();
    while (in.hasRemaining()) {
      if (skip > 0) {
        int k = (int) Math.min(skip, in.remaining());
        in.position(in.position() + k);
        skip -= k;
        continue;
      }
      if (body == null) {
        while (header.hasRemaining() && in.hasRemaining()) {
          header.put(in.get());
        }
        if (header.hasRemaining()) {
          break;
        }
        int length = header.flip().getInt();
        header.clear();
        if (length <= 0) {
          throw new DataPlaneWire.MalformedFrameException("frame length " + length);
        }
        if (length > maxFrame) {
          handler.oversize(length);
          skip = length;
          continue;
        }
        int split = length >= SPLIT_FROM ? handler.split(in.asReadOnlyBuffer(), length) : 0;
        if (split > 0 && split < length) {
          head = new byte[split];
          body = new byte[length - split];
        } else {
          body = new byte[length];
        }
        bodyPos = 0;
      }
      int headLength = head == null ? 0 : head.length;
      if (bodyPos < headLength) {
        int k = Math.min(headLength - bodyPos, in.remaining());
        in.get(head, bodyPos, k);
        bodyPos += k;
      }
      if (bodyPos >= headLength) {
        int k = Math.min(headLength + body.length - bodyPos, in.remaining());
        in.get(body, bodyPos - headLength, k);
        bodyPos += k;
      }
      if (bodyPos == headLength + body.length) {
        byte[] first = head;
        byte[] rest = body;
        head = null;
        body = null;
        framesIn.incrementAndGet();
        if (first == null) {
          handler.frame(ByteBuffer.wrap(rest));
        } else {
          handler.frame(ByteBuffer.wrap(first), rest);
        }
      }
    }
    in.clear();
    if (n > 0) {
      handler.readDrained();
    }
    return n;
  }

  /**
   * {@code select()}, polled with {@code selectNow()} first while {@link #pollFor} says a reply is
   * due. selectNow() clears a pending wakeup(), so the poll also ends on what wakeup() signals: a
   * posted frame to flush, a close.
   */
  private void awaitReady() throws IOException {
    while (true) {
      while (pollUntil - System.nanoTime() > 0) {
        if (selector.selectNow() > 0 || flushRequested.get() || closed.get()) {
          return;
        }
        Thread.onSpinWait();
      }
      // Set, then look again: a pollFor in between either sees it (and wakes select) or is seen here.
      selecting = true;
      if (pollUntil - System.nanoTime() > 0) {
        selecting = false;
        continue;
      }
      try {
        selector.select();
      } finally {
        selecting = false;
      }
      return;
    }
  }

  /** Closes the socket; the handler hears of it once. */
  public void close(String reason, boolean malformed) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
    selector.wakeup();
    Thread t = reader;
    if (t != null && t != Thread.currentThread()) {
      // A reader blocked on backpressure must not wait for a consumer that is gone.
      t.interrupt();
    }
    Handler h = handler;
    if (h != null) {
      h.closed(reason, malformed);
    }
  }

  @Override
  public void close() {
    close("closed", false);
  }
}
