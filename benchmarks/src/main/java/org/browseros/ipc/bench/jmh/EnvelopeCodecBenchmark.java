package org.browseros.ipc.bench.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.bench.BenchChannels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The four codec steps of one {@code bench:echo} invoke on the data plane, each on its own: the
 * renderer encodes the request (payload CBOR, envelope, frame), main decodes it (frame, payload into
 * the handler's type), main encodes the reply, the renderer decodes it. Their sum is the part of
 * {@link MainRequestPathBenchmark} and of a round trip that serialization costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class EnvelopeCodecBenchmark {
  @Param({"100", "65536"})
  public int payloadBytes;

  private BenchChannels.Blob blob;
  private Envelope request;
  private ByteBuffer requestFrame;
  private ByteBuffer replyFrame;

  @Setup
  public void setUp() {
    blob = new BenchChannels.Blob(new byte[payloadBytes]);
    request = Envelope.command(BenchChannels.ECHO.name(), PayloadCodec.encode(blob));
    requestFrame = frame(request);
    replyFrame = frame(request.reply(PayloadCodec.encode(blob)));
  }

  /** One buffer of a whole frame, as a reader would have it after its reads. */
  private static ByteBuffer frame(Envelope envelope) {
    return whole(DataPlaneWire.envelopeParts(envelope));
  }

  /** A frame's parts ({@link DataPlaneWire#envelopeParts}) in one buffer, length prefix first. */
  static ByteBuffer whole(ByteBuffer[] parts) {
    int length = 0;
    for (ByteBuffer part : parts) {
      length += part.remaining();
    }
    ByteBuffer whole = ByteBuffer.allocate(length);
    for (ByteBuffer part : parts) {
      whole.put(part.duplicate());
    }
    return whole.flip();
  }

  /** A whole frame's body (kind byte first), as the reader hands it to the session. */
  static ByteBuffer body(ByteBuffer frame) {
    return frame.duplicate().position(DataPlaneWire.HEADER_BYTES).slice();
  }

  @Benchmark
  public ByteBuffer[] rendererEncodesRequest() {
    return DataPlaneWire.envelopeParts(Envelope.command(BenchChannels.ECHO.name(), PayloadCodec.encode(blob)));
  }

  @Benchmark
  public BenchChannels.Blob mainDecodesRequest() throws Exception {
    Envelope e = DataPlaneWire.decodeEnvelope(body(requestFrame));
    return PayloadCodec.decode(e.payload(), BenchChannels.Blob.class);
  }

  @Benchmark
  public ByteBuffer[] mainEncodesReply() {
    return DataPlaneWire.envelopeParts(request.reply(PayloadCodec.encode(blob)));
  }

  @Benchmark
  public BenchChannels.Blob rendererDecodesReply() throws Exception {
    Envelope e = DataPlaneWire.decodeEnvelope(body(replyFrame));
    return PayloadCodec.decode(e.payload(), BenchChannels.Blob.class);
  }
}
