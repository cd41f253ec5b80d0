package org.browseros.ipc.renderer;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.ToMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContext;

/**
 * What a {@link RendererClient} shares with the threads around it, so that on the data plane an
 * invoke or send costs no hand-off to the actor (docs/PERFORMANCE.md, "The data plane"):
 *
 * <ul>
 *   <li>the invokes in flight ({@link Call}), a concurrent table: whoever removes a call from it
 *       (the reply, its timeout, a failure) completes it, exactly once;
 *   <li>the caller's way to the socket: once the client switched to the data plane, {@link IpcRenderer}
 *       writes an invoke or send on the caller's thread, unless something the callers handed to the
 *       actor is still unhandled there ({@link #queued}): then it goes through the actor too, so that
 *       what one thread issues reaches main in order, across the switch as well;
 *   <li>the reader's way to a caller: a reply the socket's reader decodes completes the caller's
 *       future on that thread, when the actor has handled every envelope the reader gave it before
 *       (so a push that came first is seen first) and nobody watches every envelope.
 * </ul>
 *
 * Everything else (state, pushes, main's invokes, reconnecting, re-sends) stays with the actor.
 */
final class DirectLane {
  private static final Logger log = LoggerFactory.getLogger(DirectLane.class);

  /** An invoke in flight; {@code sends} is how often the request went out (0: queued while reconnecting). */
  static final class Call {
    final Envelope request;
    final Duration timeout;
    final boolean idempotent;
    final CompletableFuture<byte[]> result;
    final long seq;
    volatile int sends;
    volatile Cancellable timer;

    Call(Envelope request, Duration timeout, boolean idempotent, CompletableFuture<byte[]> result, long seq) {
      this.request = request;
      this.timeout = timeout;
      this.idempotent = idempotent;
      this.result = result;
      this.seq = seq;
    }

    String id() {
      return request.id();
    }

    String channel() {
      return request.channel();
    }
  }

  private static final Duration MAX_BACKPRESSURE_WAIT = Duration.ofSeconds(10);

  private final ConcurrentHashMap<String, Call> calls = new ConcurrentHashMap<>();
  private final AtomicLong seq = new AtomicLong();
  // Invokes and sends the callers handed to the actor that it has not written yet.
  private final AtomicInteger queued = new AtomicInteger();
  // Envelopes from main processed in this session, reported in heartbeats (main's flow control).
  private final AtomicLong processed = new AtomicLong();
  private final Scheduler scheduler;
  private final ExecutionContext executor;
  private final RendererClient.Events events;
  // Set while the client is on the data plane: callers may write to it.
  private volatile FrameSocket socket;
  private volatile long payloadLimit;
  private volatile int readerSession = -1;
  private volatile boolean heartbeatsOnSocket;
  private volatile ActorRef<ToMain> connection;
  private volatile long heartbeatSeq;
  private volatile boolean heard;
  private volatile boolean stopped;
  private final long readerPollNanos;

  /**
   * @param readerPollNanos how long the socket's reader polls for a reply after an invoke
   *     (browseros.renderer.data-plane.reader-poll); 0: it blocks at once
   */
  DirectLane(Scheduler scheduler, ExecutionContext executor, RendererClient.Events events, long readerPollNanos) {
    this.scheduler = scheduler;
    this.executor = executor;
    this.events = events;
    this.readerPollNanos = readerPollNanos;
  }

  // --- callers ---------------------------------------------------------------------------------

  /**
   * Writes an invoke straight to the socket if the client is on the data plane and nothing waits in
   * the actor; with {@code readerPolls}, the socket's reader then polls for the reply a while.
   */
  boolean tryInvoke(Envelope request, Duration timeout, boolean idempotent, CompletableFuture<byte[]> result,
      boolean readerPolls) {
    FrameSocket s = directSocket(request);
    if (s == null) {
      return false;
    }
    Call call = register(request, timeout, idempotent, result);
    call.sends = 1;
    try {
      s.send(DataPlaneWire.envelopeParts(request));
      if (readerPolls) {
        s.pollFor(readerPollNanos);
      }
    } catch (ClosedChannelException e) {
      // Never left: the actor sends it again once reconnected (or fails it).
      call.sends = 0;
    } catch (IOException e) {
      // The socket is closed: the reader reports it and the actor resumes or fails the calls.
      log.debug("Data-plane write failed: {}", e.getMessage());
    }
    return true;
  }

  /** Writes a one-way envelope straight to the socket if the client is on the data plane and nothing waits in the actor. */
  boolean trySend(Envelope event) {
    FrameSocket s = directSocket(event);
    if (s == null) {
      return false;
    }
    try {
      // Posted, not written: the reader thread writes a burst of sends in a few system calls.
      s.post(DataPlaneWire.envelopeParts(event));
    } catch (IOException e) {
      log.debug("Data-plane write failed: {}", e.getMessage());
    }
    return true;
  }

  /**
   * The socket a caller may write {@code envelope} to itself, once there is room on it; null when
   * the envelope goes through the actor (not switched yet, earlier commands still queued there, or
   * above the data plane's payload limit).
   */
  private FrameSocket directSocket(Envelope envelope) {
    FrameSocket s = socket;
    if (s == null || queued.get() != 0 || envelope.payload().length > payloadLimit) {
      return null;
    }
    awaitRoom(s);
    return s;
  }

  /**
   * A caller that writes faster than main reads waits here (backpressure, as a blocking socket
   * would), instead of filling the socket's queue until it is cut off. Bounded: a main that takes
   * nothing for {@link #MAX_BACKPRESSURE_WAIT} gets the frame anyway, and the cut-off applies.
   */
  private static void awaitRoom(FrameSocket s) {
    try {
      if (!s.awaitRoom(MAX_BACKPRESSURE_WAIT)) {
        log.warn("Main has not read from the data plane for {} s", MAX_BACKPRESSURE_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A caller hands a command to the actor (which calls {@link #handled} once it wrote it). */
  void queue() {
    queued.incrementAndGet();
  }

  /** The actor handled a command a caller queued. */
  void handled() {
    queued.decrementAndGet();
  }

  // --- the table of calls ----------------------------------------------------------------------

  /** Adds a call with its timeout running; it ends by that timeout at the latest. */
  Call register(Envelope request, Duration timeout, boolean idempotent, CompletableFuture<byte[]> result) {
    Call call = new Call(request, timeout, idempotent, result, seq.incrementAndGet());
    calls.put(request.id(), call);
    call.timer = scheduler.scheduleOnce(timeout, () -> timedOut(call), executor);
    return call;
  }

  private void timedOut(Call call) {
    if (!calls.remove(call.id(), call)) {
      return;
    }
    IpcError error = stopped
        ? new IpcError(ErrorCode.CONNECTION, "Renderer client stopped", call.channel(), call.id())
        : new IpcError(ErrorCode.TIMEOUT, "No reply on '" + call.channel() + "' within " + call.timeout.toMillis() + " ms",
            call.channel(), call.id());
    call.result.completeExceptionally(new IpcException(error));
  }

  Call get(String id) {
    return calls.get(id);
  }

  /** The calls in issue order (for re-sending after a reconnect). */
  List<Call> inIssueOrder() {
    List<Call> list = new ArrayList<>(calls.values());
    list.sort(Comparator.comparingLong(c -> c.seq));
    return list;
  }

  /** Calls queued while reconnecting that never went out. */
  long unsent() {
    return calls.values().stream().filter(c -> c.sends == 0).count();
  }

  private boolean remove(Call call) {
    if (!calls.remove(call.id(), call)) {
      return false;
    }
    Cancellable t = call.timer;
    if (t != null) {
      t.cancel();
    }
    return true;
  }

  /** Completes the call a reply answers; false if none waits for it (late, or an error about a send). */
  boolean complete(Envelope reply) {
    Call call = calls.get(reply.inReplyTo());
    if (call == null || !remove(call)) {
      return false;
    }
    if (reply.type() == MessageType.ERROR) {
      call.result.completeExceptionally(new IpcException(decodeError(reply)));
    } else {
      call.result.complete(reply.payload());
    }
    return true;
  }

  /** Fails one call (if it still waits). */
  void fail(String id, IpcError reason) {
    Call call = calls.get(id);
    if (call != null && remove(call)) {
      call.result.completeExceptionally(new IpcException(reason.withRequest(call.channel(), id)));
    }
  }

  /** Fails every call. */
  void failAll(IpcError reason) {
    for (Call call : inIssueOrder()) {
      fail(call.id(), reason);
    }
  }

  static IpcError decodeError(Envelope e) {
    try {
      IpcError error = PayloadCodec.decode(e.payload(), IpcError.class);
      return error.channel() == null ? error.withRequest(e.channel(), e.inReplyTo()) : error;
    } catch (IpcException | NullPointerException ex) {
      return new IpcError(ErrorCode.INTERNAL, "Undecodable error from main", e.channel(), e.inReplyTo());
    }
  }

  // --- the socket's reader ---------------------------------------------------------------------

  /**
   * Completes a caller's future on the reader's thread if {@code envelope} is a reply someone waits
   * for and the actor has nothing from this reader left to handle; false: give it to the actor.
   */
  boolean deliver(Envelope envelope, int session, Semaphore permits, int maxInFlight) {
    if (envelope.inReplyTo() == null || session != readerSession || permits.availablePermits() != maxInFlight
        || events.observesEnvelopes() || !complete(envelope)) {
      return false;
    }
    heard = true;
    long n = processed.incrementAndGet();
    if (n % RendererClient.PROGRESS_EVERY == 0) {
      reportProgress(new Heartbeat(heartbeatSeq, System.nanoTime(), n));
    }
    return true;
  }

  /**
   * A progress report (main's flow control): on the socket with the heartbeats when they go there,
   * so that a busy data-plane session costs no Artery round on either side; else over Artery.
   */
  void reportProgress(Heartbeat report) {
    ActorRef<ToMain> c = connection;
    if (!heartbeatOnSocket(report) && c != null) {
      c.tell(report);
    }
  }

  /** Sends a heartbeat (periodic or progress) on the socket if heartbeats go there now; false: they do not. */
  boolean heartbeatOnSocket(Heartbeat heartbeat) {
    FrameSocket s = socket;
    if (s == null || !heartbeatsOnSocket) {
      return false;
    }
    try {
      s.send(DataPlaneWire.heartbeatFrame(heartbeat));
    } catch (IOException e) {
      // The socket is closed: the reader reports it and the client treats the connection as lost.
      log.debug("Data-plane heartbeat failed: {}", e.getMessage());
    }
    return true;
  }

  // --- the actor -------------------------------------------------------------------------------

  /** On the data plane: callers write to {@code s}, the reader of {@code session} may complete calls. */
  void open(FrameSocket s, long limit, int session, boolean heartbeats) {
    payloadLimit = limit;
    readerSession = session;
    heartbeatsOnSocket = heartbeats;
    socket = s;
  }

  /**
   * True on a thread that reads the socket now (its reader thread, or a caller in {@link #readNow}),
   * which completes callers' replies: it must not wait for one.
   */
  boolean onReaderThread() {
    FrameSocket s = socket;
    return s != null && s.isReading();
  }

  /**
   * For a caller spinning for its reply (invokeSync): reads the socket on its own thread if the
   * reader thread is not reading it, so that a reply there completes the caller's future without
   * waiting for the reader thread's wake-up. Frames read go where the reader would hand them.
   */
  void readNow() {
    FrameSocket s = socket;
    if (s != null) {
      s.readNow();
    }
  }

  /** Off the data plane (reconnecting, stopped): everything goes through the actor again. */
  void close() {
    socket = null;
    readerSession = -1;
  }

  /** The client stopped: late timeouts say CONNECTION. */
  void stopped() {
    stopped = true;
    close();
  }

  void connected(ActorRef<ToMain> connection) {
    this.connection = connection;
    processed.set(0);
  }

  /** Counts one envelope the actor processed; returns the count. */
  long processedOne() {
    heard = true;
    return processed.incrementAndGet();
  }

  long processed() {
    return processed.get();
  }

  void heartbeatSeq(long seq) {
    heartbeatSeq = seq;
  }

  /** Whether main was heard from since the last call. */
  boolean heardSinceLastAsked() {
    boolean h = heard;
    heard = false;
    return h;
  }
}
