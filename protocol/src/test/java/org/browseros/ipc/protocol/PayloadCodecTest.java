package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.navigation.NavigateForward;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.renderers.RenderersQuery;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.state.StateResync;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.PowerStateQuery;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.browseros.ipc.protocol.window.WindowUpdate;
import org.junit.jupiter.api.Test;

/** Payloads cross JVMs as CBOR bytes inside envelopes; every built-in payload and reply round-trips. */
class PayloadCodecTest {

  private static <T> void assertRoundTrip(T value) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) value.getClass();
    assertEquals(value, PayloadCodec.decode(PayloadCodec.encode(value), type));
  }

  @Test
  void shouldRoundTripEveryBuiltInPayloadAndReply() {
    assertRoundTrip(new WindowCreate("Docs", new Bounds(1, 2, 300, 400)));
    assertRoundTrip(new WindowCreate(null, null));
    assertRoundTrip(new WindowClose("w1"));
    assertRoundTrip(new WindowClosed("w1", List.of("t1", "t2")));
    assertRoundTrip(new WindowUpdate("w1", "T", Bounds.DEFAULT, WindowState.MAXIMIZED, true));
    assertRoundTrip(new WindowInfo("w1", "T", Bounds.DEFAULT, WindowState.FULLSCREEN, false, List.of("t1")));
    assertRoundTrip(new TabCreate("w1", "https://example.org", false));
    assertRoundTrip(new TabUpdate("t1", "Title", true, false, null));
    assertRoundTrip(new TabDelete("t1"));
    assertRoundTrip(new TabDeleted("t1", "w1"));
    assertRoundTrip(new TabInfo("t1", "w1", "https://example.org", "Example", true, false, false, true, true));
    assertRoundTrip(new Navigate("t1", "https://example.org/a"));
    assertRoundTrip(new NavigateBack("t1"));
    assertRoundTrip(new NavigateForward("t1"));
    assertRoundTrip(new SettingsUpdate("zoom", IntNode.valueOf(125)));
    assertRoundTrip(new SettingsGet(null));
    assertRoundTrip(new Setting("theme", TextNode.valueOf("dark"), 3));
    assertRoundTrip(new SettingsView(Map.of("theme", TextNode.valueOf("dark")), 3));
    assertRoundTrip(new PowerStateQuery());
    assertRoundTrip(new PowerState("battery", 80, "discharging"));
    assertRoundTrip(new SystemEvent(SystemEvent.RENDERER_JOINED, "renderer-1", "joined", Map.of("pid", "42"), 1L));
    assertRoundTrip(new StateSync(5, false, Map.of("tabs/t1", TextNode.valueOf("x")), List.of("tabs/t2")));
    assertRoundTrip(new StateResync(4));
    assertRoundTrip(new RenderersQuery());
    assertRoundTrip(new RendererList(List.of(new RendererInfo("renderer-1", 42L, "shell", "connected", 0, "default"))));
    assertRoundTrip(new IpcError(ErrorCode.TOO_LARGE, "too big", "tab:create", "id-1"));
  }

  @Test
  void shouldDecodeAnEmptyPayloadAsAnEmptyObject() {
    assertEquals(new PowerStateQuery(), PayloadCodec.decode(new byte[0], PowerStateQuery.class));
    SettingsGet all = PayloadCodec.decode(new byte[0], SettingsGet.class);
    assertNull(all.key());
  }

  @Test
  void shouldRefuseUnknownFieldsWithValidationError() {
    byte[] bytes = PayloadCodec.encode(PayloadCodec.parseJson("{\"tabId\":\"t1\",\"evil\":true}"));
    IpcException e = assertThrows(IpcException.class, () -> PayloadCodec.decode(bytes, TabDelete.class));
    assertEquals(ErrorCode.VALIDATION, e.code());
    assertTrue(e.getMessage().contains("evil"), e.getMessage());
  }

  @Test
  void shouldRefuseWrongTypesAndEnumValues() {
    byte[] wrongType = PayloadCodec.encode(PayloadCodec.parseJson("{\"tabId\":\"t1\",\"pinned\":\"yes\"}"));
    assertEquals(ErrorCode.VALIDATION,
        assertThrows(IpcException.class, () -> PayloadCodec.decode(wrongType, TabUpdate.class)).code());
    byte[] badEnum = PayloadCodec.encode(PayloadCodec.parseJson("{\"windowId\":\"w1\",\"state\":\"huge\"}"));
    assertEquals(ErrorCode.VALIDATION,
        assertThrows(IpcException.class, () -> PayloadCodec.decode(badEnum, WindowUpdate.class)).code());
    byte[] floatAsInt = PayloadCodec.encode(PayloadCodec.parseJson("{\"x\":1.5,\"y\":0,\"width\":1,\"height\":1}"));
    assertEquals(ErrorCode.VALIDATION,
        assertThrows(IpcException.class, () -> PayloadCodec.decode(floatAsInt, Bounds.class)).code());
  }

  @Test
  void shouldRefuseGarbageAndTooDeepNesting() {
    assertEquals(ErrorCode.VALIDATION,
        assertThrows(IpcException.class, () -> PayloadCodec.decode(new byte[] {(byte) 0xff, 0x01}, TabDelete.class)).code());
    String deep = "[".repeat(PayloadCodec.MAX_NESTING_DEPTH + 10) + "]".repeat(PayloadCodec.MAX_NESTING_DEPTH + 10);
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.parseJson(deep)).code());
  }

  @Test
  void shouldWriteWindowStateInLowerCase() {
    JsonNode json = PayloadCodec.toTree(new WindowUpdate("w1", null, null, WindowState.MINIMIZED, null));
    assertEquals("minimized", json.get("state").asText());
    assertTrue(json.get("title") == null, "absent optional fields are omitted");
  }

  /** A payload whose second field cannot be read: its encode fails half-way through the object. */
  record HalfWritten(String first, String second) {
    @Override
    public String second() {
      throw new IllegalStateException("unreadable");
    }
  }

  @Test
  void shouldEncodeEachPayloadAsItsOwnCborItemWhenTheEncoderIsReused() {
    // {"tabId": "t1"}: an indefinite-length map (bf .. ff), text key and value (RFC 8949).
    byte[] tabDelete = HexFormat.of().parseHex("bf657461624964627431ff");
    assertArrayEquals(tabDelete, PayloadCodec.encodeUncompressed(new TabDelete("t1")));
    assertArrayEquals(tabDelete, PayloadCodec.encodeUncompressed(new TabDelete("t1")), "second use of this thread's encoder");

    byte[] large = PayloadCodec.encodeUncompressed(PayloadCodec.parseJson("{\"text\":\"" + "x".repeat(1 << 20) + "\"}"));
    assertEquals(1 << 20, PayloadCodec.toJson(large).get("text").asText().length());
    assertArrayEquals(tabDelete, PayloadCodec.encodeUncompressed(new TabDelete("t1")), "after a payload larger than the kept buffer");

    IpcException failed = assertThrows(IpcException.class, () -> PayloadCodec.encodeUncompressed(new HalfWritten("a", "b")));
    assertEquals(ErrorCode.INTERNAL, failed.code());
    assertArrayEquals(tabDelete, PayloadCodec.encodeUncompressed(new TabDelete("t1")), "after an encode failed half-way");

    WindowInfo window = new WindowInfo("w1", "T", Bounds.DEFAULT, WindowState.FULLSCREEN, false, List.of("t1"));
    byte[] onAnotherThread = CompletableFuture.supplyAsync(() -> PayloadCodec.encodeUncompressed(window)).join();
    assertArrayEquals(onAnotherThread, PayloadCodec.encodeUncompressed(window));
  }

  @Test
  void shouldEncodeLargePayloadsToTheSameBytesAsAPlainMapper() throws Exception {
    // Around and far beyond the encoder's reused buffer: one large write, and many small ones.
    com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper plain = new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper();
    byte[] binary = new byte[(1 << 20) + 7];
    new java.util.Random(5).nextBytes(binary);
    byte[] tabDelete = PayloadCodec.encodeUncompressed(new TabDelete("t1"));
    for (int size : new int[] {65_000, 65_536, 65_537, 200_000, 1 << 20, (1 << 20) + 7}) {
      JsonNode tree = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
          .put("before", "x").put("data", java.util.Arrays.copyOf(binary, size)).put("after", size);
      assertArrayEquals(plain.writeValueAsBytes(tree), PayloadCodec.encodeUncompressed(tree), size + " bytes of binary");
      assertArrayEquals(tabDelete, PayloadCodec.encodeUncompressed(new TabDelete("t1")), "after " + size + " bytes");
    }
    com.fasterxml.jackson.databind.node.ArrayNode many = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < 30_000; i++) {
      many.addObject().put("i", i).put("s", "v" + i);
    }
    byte[] expected = plain.writeValueAsBytes(many);
    assertTrue(expected.length > 256 * 1024, "several chunks: " + expected.length);
    assertArrayEquals(expected, PayloadCodec.encodeUncompressed(many), "many small writes");
    assertArrayEquals(expected, PayloadCodec.encodeUncompressed(many), "again, on the kept buffer");
  }

  /** A payload with a byte string between two other fields. */
  record Blob(String before, byte[] data, int after) {}

  @Test
  void shouldDecodeLargeByteStringsWholeAndRefuseOnesTheInputDoesNotHold() throws Exception {
    byte[] binary = new byte[(1 << 20) + 3];
    new java.util.Random(7).nextBytes(binary);
    for (int size : new int[] {0, 1, 249_999, 250_001, (1 << 20) + 3}) {
      byte[] data = java.util.Arrays.copyOf(binary, size);
      byte[] cbor = PayloadCodec.encode(new Blob("b", data, size));
      Blob back = PayloadCodec.decode(cbor, Blob.class);
      assertArrayEquals(data, back.data(), size + " bytes");
      assertEquals("b", back.before());
      assertEquals(size, back.after(), "the field after " + size + " bytes");
      assertArrayEquals(data, PayloadCodec.toJson(cbor).get("data").binaryValue(), "as a tree");
    }
    byte[] whole = PayloadCodec.encode(new Blob("b", binary, 1));
    for (int cut : new int[] {10, 1000, binary.length / 2}) {
      byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - cut);
      IpcException e = assertThrows(IpcException.class, () -> PayloadCodec.decode(truncated, Blob.class), "cut " + cut);
      assertEquals(ErrorCode.VALIDATION, e.code());
    }
    // A lone byte string that declares 100 MiB and holds 3 bytes: refused, nothing of that size allocated.
    byte[] lying = {0x5A, 0x06, 0x40, 0x00, 0x00, 1, 2, 3};
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> PayloadCodec.toJson(lying)).code());
  }
}
