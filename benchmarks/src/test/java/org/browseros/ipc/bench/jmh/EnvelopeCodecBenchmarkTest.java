package org.browseros.ipc.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

class EnvelopeCodecBenchmarkTest {

  @Test
  void shouldCarryThePayloadThroughEveryStep() throws Exception {
    for (int size : new int[] {100, 65536}) {
      EnvelopeCodecBenchmark benchmark = new EnvelopeCodecBenchmark();
      benchmark.payloadBytes = size;
      benchmark.setUp();
      Envelope request = decode(benchmark.rendererEncodesRequest());
      assertEquals("bench:echo", request.channel());
      assertArrayEquals(new byte[size], benchmark.mainDecodesRequest().data());
      Envelope reply = decode(benchmark.mainEncodesReply());
      assertTrue(reply.isReply());
      assertArrayEquals(new byte[size], benchmark.rendererDecodesReply().data());
    }
  }

  private static Envelope decode(ByteBuffer[] parts) throws Exception {
    ByteBuffer whole = EnvelopeCodecBenchmark.whole(parts);
    assertEquals(whole.remaining() - DataPlaneWire.HEADER_BYTES, whole.getInt());
    return DataPlaneWire.decodeEnvelope(whole.slice());
  }

  @Test
  @Timeout(120)
  void shouldRunUnderTheJmhRunnerAsScriptsBenchJmhDoes() throws Exception {
    // In this JVM (no fork) and briefly: the generated harness and the benchmark list are in place.
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(EnvelopeCodecBenchmark.class.getName())
        .param("payloadBytes", "100")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .build()).run();
    Set<String> names = results.stream().map(r -> r.getParams().getBenchmark().replaceAll(".*\\.", ""))
        .collect(Collectors.toSet());
    assertEquals(Set.of("rendererEncodesRequest", "mainDecodesRequest", "mainEncodesReply", "rendererDecodesReply"), names);
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " measured nothing");
    }
  }
}
