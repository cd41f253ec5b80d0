package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.junit.jupiter.api.Test;

class PayloadCompressionTest {

  /** A payload of the kind that compresses: text with repeats, as HTML or JSON would be. */
  record Page(String html) {}

  private static String text(int bytes) {
    StringBuilder sb = new StringBuilder(bytes);
    int i = 0;
    while (sb.length() < bytes) {
      sb.append("<div class=\"row\" id=\"r").append(i++).append("\">Lorem ipsum dolor sit amet</div>\n");
    }
    return sb.substring(0, bytes);
  }

  private static byte[] encodeCompressed(Object payload) {
    return PayloadCodec.compress(PayloadCodec.encodeUncompressed(payload), PayloadCodec.DEFAULT_COMPRESS_ABOVE);
  }

  @Test
  void shouldNotCompressUnlessAThresholdIsSet() {
    byte[] large = PayloadCodec.encodeUncompressed(new Page(text(256 * 1024)));
    assertEquals(0, PayloadCodec.compressAbove());
    assertArrayEquals(large, PayloadCodec.encode(new Page(text(256 * 1024))));
    assertArrayEquals(large, PayloadCodec.compress(large, 0));
    PayloadCodec.configureCompression(PayloadCodec.DEFAULT_COMPRESS_ABOVE, PayloadCodec.DEFAULT_MAX_DECOMPRESSED);
    try {
      assertTrue(PayloadCodec.isCompressed(PayloadCodec.encode(new Page(text(256 * 1024)))));
    } finally {
      PayloadCodec.configureCompression(0, PayloadCodec.DEFAULT_MAX_DECOMPRESSED);
    }
  }

  @Test
  void shouldCompressALargeTextPayloadAndDecodeItBack() {
    Page page = new Page(text(256 * 1024));
    byte[] wire = encodeCompressed(page);
    assertTrue(PayloadCodec.isCompressed(wire));
    assertTrue(wire.length < 64 * 1024, "256 KiB of text took " + wire.length + " bytes");
    assertEquals(PayloadCodec.encodeUncompressed(page).length, PayloadCodec.decodedLength(wire));
    assertEquals(page, PayloadCodec.decode(wire, Page.class));
    assertEquals(page.html(), PayloadCodec.toJson(wire).get("html").asText());
  }

  @Test
  void shouldLeaveSmallAndIncompressiblePayloadsPlain() {
    byte[] small = encodeCompressed(new Page(text(1000)));
    assertFalse(PayloadCodec.isCompressed(small));
    assertArrayEquals(PayloadCodec.encodeUncompressed(new Page(text(1000))), small);

    byte[] random = new byte[100 * 1024];
    new Random(7).nextBytes(random);
    byte[] cbor = PayloadCodec.encodeUncompressed(random);
    assertFalse(PayloadCodec.isCompressed(PayloadCodec.compress(cbor, 1)));
    assertEquals(cbor.length, PayloadCodec.decodedLength(cbor));
    // Threshold 0 turns compression off.
    assertFalse(PayloadCodec.isCompressed(PayloadCodec.compress(PayloadCodec.encodeUncompressed(new Page(text(100_000))), 0)));
  }

  @Test
  void shouldRefuseAFrameClaimingOneGibibyteBeforeAllocatingIt() {
    byte[] bomb = new byte[1024];
    bomb[0] = (byte) 0xFF;
    bomb[1] = 'L';
    bomb[2] = 'Z';
    bomb[3] = '4';
    ByteBuffer.wrap(bomb, 4, 4).putInt(1 << 30);
    assertEquals(1 << 30, PayloadCodec.decodedLength(bomb));

    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    IpcException e = assertThrows(IpcException.class, () -> PayloadCodec.decode(bomb, Page.class, 192 * 1024));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals(ErrorCode.TOO_LARGE, e.code());
    assertTrue(allocated < 1 << 20, "allocated " + allocated + " bytes while refusing");
    // The process-wide cap (4 MiB by default) applies to the plain decode too.
    assertEquals(ErrorCode.TOO_LARGE, assertThrows(IpcException.class, () -> PayloadCodec.decode(bomb, Page.class)).code());
    assertEquals(ErrorCode.TOO_LARGE, assertThrows(IpcException.class, () -> PayloadCodec.toJson(bomb)).code());
  }

  @Test
  void shouldRefuseARealBombOverTheCap() {
    byte[] zeros = PayloadCodec.encodeUncompressed(new Page("0".repeat(1 << 20)));
    byte[] bomb = PayloadCodec.compress(zeros, 1);
    assertTrue(bomb.length < 8 * 1024, "1 MiB of zeros took " + bomb.length);
    assertEquals(ErrorCode.TOO_LARGE,
        assertThrows(IpcException.class, () -> PayloadCodec.decode(bomb, Page.class, 192 * 1024)).code());
    assertEquals(1 << 20, PayloadCodec.decode(bomb, Page.class, 2 << 20).html().length());
  }

  @Test
  void shouldRefuseCorruptOrLyingCompressedPayloadsAsValidation() {
    byte[] good = PayloadCodec.compress(PayloadCodec.encodeUncompressed(new Page(text(64 * 1024))), 1);
    assertTrue(PayloadCodec.isCompressed(good));

    byte[] shortClaim = good.clone();
    ByteBuffer.wrap(shortClaim, 4, 4).putInt(100);
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.decode(shortClaim, Page.class)).code());

    byte[] longClaim = good.clone();
    ByteBuffer.wrap(longClaim, 4, 4).putInt(PayloadCodec.decodedLength(good) + 10);
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.decode(longClaim, Page.class)).code());

    byte[] truncated = Arrays.copyOf(good, good.length / 2);
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.decode(truncated, Page.class)).code());

    byte[] headerOnly = Arrays.copyOf(good, 6);
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.decode(headerOnly, Page.class)).code());

    byte[] negative = good.clone();
    ByteBuffer.wrap(negative, 4, 4).putInt(-1);
    assertEquals(ErrorCode.TOO_LARGE, assertThrows(IpcException.class, () -> PayloadCodec.decode(negative, Page.class)).code());
  }

  @Test
  void shouldKeepStrictDecodingBehindDecompression() {
    // A compressed payload gets the same strict checks as a plain one: unknown fields are refused.
    JsonNode tree = PayloadCodec.parseJson("{\"title\":\"" + "a".repeat(40_000) + "\",\"admin\":true}");
    byte[] wire = encodeCompressed(tree);
    assertTrue(PayloadCodec.isCompressed(wire));
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.decode(wire, WindowCreate.class)).code());
  }

  @Test
  void shouldTravelInsideAnEnvelopeUnchanged() {
    Page page = new Page(text(100 * 1024));
    Envelope envelope = Envelope.command("app:page", encodeCompressed(page));
    assertTrue(envelope.payload().length < 100 * 1024);
    assertEquals(page, PayloadCodec.decode(envelope.payload(), Page.class));
  }
}
