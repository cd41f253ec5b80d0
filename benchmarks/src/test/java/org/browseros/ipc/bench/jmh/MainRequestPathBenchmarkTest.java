package org.browseros.ipc.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.browseros.ipc.bench.BenchChannels;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class MainRequestPathBenchmarkTest {

  @Test
  @Timeout(60)
  void shouldAnswerEveryInvokeAndDeliverEveryEventOnTheCallingThread() throws Exception {
    MainRequestPathBenchmark benchmark = new MainRequestPathBenchmark();
    benchmark.payloadBytes = 100;
    benchmark.setUp();
    long handledBefore = benchmark.handled.get();
    long hereBefore = benchmark.handledHere;
    try {
      // More than the request log keeps and more than the frames the benchmark cycles through.
      for (int i = 0; i < 10_000; i++) {
        Envelope reply = benchmark.invoke();
        assertNotNull(reply, "no reply on the calling thread for invoke " + i);
        assertEquals(MessageType.COMMAND, reply.type(), () -> "invoke answered with an error: "
            + new String(reply.payload(), StandardCharsets.ISO_8859_1));
        assertNotNull(reply.inReplyTo());
        assertArrayEquals(new byte[100], PayloadCodec.decode(reply.payload(), BenchChannels.Blob.class).data());
      }
      // Every one ran the handler: none was taken for a re-sent request and answered from the request log.
      assertEquals(10_000, benchmark.handled.get() - handledBefore);
      // On the calling thread, as main's reader runs them; a rare one may run where the connection's
      // heartbeat check had its mailbox running (a pool thread).
      long here = benchmark.handledHere - hereBefore;
      assertTrue(here >= 9_900, "only " + here + " of 10000 handled on the calling thread");
      long receivedBefore = benchmark.received.get();
      for (int i = 0; i < 10_000; i++) {
        assertEquals(receivedBefore + i + 1, benchmark.send(), "the listener did not get event " + i);
      }
    } finally {
      benchmark.tearDown();
    }
  }
}
