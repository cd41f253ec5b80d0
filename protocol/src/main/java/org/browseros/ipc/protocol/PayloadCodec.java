package org.browseros.ipc.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Encodes payloads to CBOR bytes and decodes them by the channel's declared type.
 *
 * <p>Decoding is strict: unknown fields, nulls for primitives, numbers for enums and trailing
 * tokens are refused, and no polymorphic type information is honoured. Readers and writers are
 * built once per type and reused (they are immutable and thread-safe).
 *
 * <p>Large payloads may be compressed: with a threshold set (system property
 * {@code browseros.payload.compress-above}, e.g. 32768, or {@link #configureCompression}; off by
 * default, because on loopback lz4 costs more CPU than the copying it saves, see
 * docs/PERFORMANCE.md), {@link #encode} turns CBOR of at least that many bytes into an lz4 block
 * when that is smaller. Every decode inflates compressed payloads whatever the local setting, so
 * a sender may turn it on alone (e.g. a remote renderer). The compressed form is self-describing, so it travels on every
 * transport inside the ordinary {@link Envelope} payload: {@code FF 'L' 'Z' '4'}, the original
 * length as a 4-byte big-endian int, then the lz4 block. {@code FF} (a CBOR "break") never starts a
 * CBOR data item, so it cannot be mistaken for a plain payload. The length comes first so that a
 * receiver refuses a payload that would inflate beyond its limit (TOO_LARGE) before allocating
 * anything: {@link #decodedLength} for the check, {@link #decompress} with a cap.
 */
public final class PayloadCodec {
  /** Nesting depth and string length ceilings applied while parsing untrusted payloads. */
  public static final int MAX_NESTING_DEPTH = 64;
  public static final int MAX_STRING_LENGTH = 1 << 20;

  private static final StreamReadConstraints CONSTRAINTS =
      StreamReadConstraints.builder()
          .maxNestingDepth(MAX_NESTING_DEPTH)
          .maxStringLength(MAX_STRING_LENGTH)
          .build();

  private static final ObjectMapper CBOR = configure(
      CBORMapper.builder(new InMemoryCborFactory(CBORFactory.builder().streamReadConstraints(CONSTRAINTS))));
  private static final ObjectMapper JSON = configure(
      JsonMapper.builder(new com.fasterxml.jackson.core.JsonFactoryBuilder().streamReadConstraints(CONSTRAINTS).build()));

  private static final ConcurrentHashMap<Class<?>, ObjectReader> READERS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Class<?>, ObjectReader> JSON_READERS = new ConcurrentHashMap<>();
  private static final ObjectWriter WRITER = CBOR.writer();
  private static final ThreadLocal<Encoder> ENCODERS = ThreadLocal.withInitial(Encoder::new);

  /** Compressed payloads start with these bytes; 0xFF never starts a CBOR data item. */
  private static final byte[] LZ4_MAGIC = {(byte) 0xFF, 'L', 'Z', '4'};
  /** Magic plus the original length. */
  public static final int COMPRESSED_HEADER_BYTES = 8;
  /** The threshold to use when compression is wanted; compression itself is off by default. */
  public static final int DEFAULT_COMPRESS_ABOVE = 32 * 1024;
  /** The cap of {@link #decode} and {@link #toJson}; callers with a smaller limit check first. */
  public static final int DEFAULT_MAX_DECOMPRESSED = 4 << 20;

  // Thread-safe and stateless; fastestInstance prefers the JNI build, else the fastest pure-Java one.
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
  private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

  private static volatile int compressAbove = Integer.getInteger("browseros.payload.compress-above", 0);
  private static volatile int maxDecompressed =
      Integer.getInteger("browseros.payload.max-decompressed", DEFAULT_MAX_DECOMPRESSED);

  private PayloadCodec() {}

  private static ObjectMapper configure(com.fasterxml.jackson.databind.cfg.MapperBuilder<?, ?> builder) {
    return builder
        .addModule(new Jdk8Module())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        // A number or boolean where a string is declared is a wrong type, not a string.
        .withCoercionConfig(com.fasterxml.jackson.databind.type.LogicalType.Textual, c -> c
            .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer,
                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
            .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
            .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean,
                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail))
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        .build();
  }

  /**
   * Encodes a payload record (or a {@link JsonNode}) as CBOR, compressed when a threshold is set,
   * the CBOR is at least {@link #compressAbove()} bytes and compression makes it smaller.
   */
  public static byte[] encode(Object payload) {
    return compress(encodeUncompressed(payload), compressAbove);
  }

  /** Encodes a payload record (or a {@link JsonNode}) as plain CBOR, never compressed. */
  public static byte[] encodeUncompressed(Object payload) {
    if (payload == null) {
      return new byte[0];
    }
    try {
      return ENCODERS.get().encode(payload);
    } catch (JsonProcessingException e) {
      throw new IpcException(ErrorCode.INTERNAL, "Cannot encode " + payload.getClass().getSimpleName() + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IpcException(ErrorCode.INTERNAL, "Cannot encode " + payload.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * One thread's CBOR generator, kept open and writing into a reusable buffer: an encode is then one
   * serialize and one copy. {@code writeValueAsBytes} creates a generator, takes and returns pooled
   * buffers and closes the generator per call, which was about two thirds of an encode's CPU in a
   * renderer (C1-only JIT) sending small events. Same writer, same bytes. CBOR allows a sequence of
   * top-level values, so each value written leaves the generator ready for the next.
   */
  private static final class Encoder {
    private final Sink sink = new Sink();
    private JsonGenerator generator;
    private boolean busy;

    byte[] encode(Object payload) throws IOException {
      if (busy) {
        // A serializer that encodes a payload of its own (re-entered on this thread).
        return WRITER.writeValueAsBytes(payload);
      }
      busy = true;
      try {
        if (generator == null) {
          generator = WRITER.createGenerator(sink);
        }
        WRITER.writeValue(generator, payload);
        generator.flush();
        return sink.take();
      } catch (IOException | RuntimeException e) {
        // A failure may leave the generator inside a value: start over with a new one.
        generator = null;
        sink.reset();
        throw e;
      } finally {
        busy = false;
      }
    }
  }

  /**
   * An unsynchronized byte sink for one thread's generator. Up to {@link #KEEP_BYTES} it is
   * one array, doubled as needed and reused by the next encode. Beyond, it appends chunks instead of
   * copying what it holds into ever larger arrays: a 1 MiB payload was written into a 1 MiB array,
   * then copied into a 2 MiB one for the map's closing byte, then copied out again (4 MiB allocated
   * per encode, the largest share of a renderer's garbage in the 1 MiB invoke bench); now it costs
   * the chunks and the one copy out (docs/PERFORMANCE.md, "Large payloads").
   */
  private static final class Sink extends OutputStream {
    private static final int INITIAL = 512;
    /** The most the one array grows to; it is kept for the next encode. Beyond, chunks. */
    private static final int KEEP_BYTES = 64 * 1024;
    /** The least size of a chunk after the first (the first is the reused buffer). */
    private static final int CHUNK = 64 * 1024;
    private byte[] buf = new byte[INITIAL];
    private int count;
    // Full chunks before buf, in order, and their total size; null until the first one.
    private ArrayList<byte[]> chunks;
    private int chunkBytes;

    @Override
    public void write(int b) {
      if (count == buf.length) {
        makeRoom(1);
      }
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      while (len > 0) {
        if (count == buf.length) {
          makeRoom(len);
        }
        int n = Math.min(len, buf.length - count);
        System.arraycopy(b, off, buf, count, n);
        count += n;
        off += n;
        len -= n;
      }
    }

    /** buf is full and {@code more} bytes are coming: a larger buf while small, else a new chunk. */
    private void makeRoom(int more) {
      long total = (long) chunkBytes + count + more;
      if (chunks == null && total <= KEEP_BYTES) {
        buf = Arrays.copyOf(buf, (int) Math.min(KEEP_BYTES, Math.max(buf.length * 2L, total)));
        return;
      }
      if (total > Integer.MAX_VALUE - 16) {
        throw new IpcException(ErrorCode.TOO_LARGE, "Payload of more than 2 GiB");
      }
      if (chunks == null) {
        chunks = new ArrayList<>();
      }
      chunks.add(buf);
      chunkBytes += count;
      buf = new byte[Math.max(more, CHUNK)];
      count = 0;
    }

    /** The bytes written since the last take. The first array (never above KEEP_BYTES) is kept. */
    byte[] take() {
      if (chunks == null) {
        byte[] bytes = Arrays.copyOf(buf, count);
        count = 0;
        return bytes;
      }
      byte[] bytes = new byte[chunkBytes + count];
      int p = 0;
      for (byte[] chunk : chunks) {
        System.arraycopy(chunk, 0, bytes, p, chunk.length);
        p += chunk.length;
      }
      System.arraycopy(buf, 0, bytes, p, count);
      reset(chunks.get(0));
      return bytes;
    }

    void reset() {
      reset(new byte[INITIAL]);
    }

    private void reset(byte[] next) {
      buf = next;
      count = 0;
      chunks = null;
      chunkBytes = 0;
    }
  }

  // ---- compression ---------------------------------------------------------------------------------

  /** Payloads of at least this many CBOR bytes are compressed by {@link #encode}; 0 = never. */
  public static int compressAbove() {
    return compressAbove;
  }

  /** The cap on the inflated size applied by {@link #decode} and {@link #toJson}. */
  public static int maxDecompressed() {
    return maxDecompressed;
  }

  /**
   * Sets this process's compression threshold (0 = never compress) and decompression cap; the
   * system properties {@code browseros.payload.compress-above} and
   * {@code browseros.payload.max-decompressed} set them at start.
   */
  public static void configureCompression(int compressAboveBytes, int maxDecompressedBytes) {
    if (compressAboveBytes < 0 || maxDecompressedBytes < 0) {
      throw new IllegalArgumentException("Compression threshold and cap must not be negative");
    }
    compressAbove = compressAboveBytes;
    maxDecompressed = maxDecompressedBytes;
  }

  /**
   * The lz4 form of {@code cbor} when it is at least {@code threshold} bytes (0 = never) and the
   * compressed form is smaller; else {@code cbor} itself.
   */
  public static byte[] compress(byte[] cbor, int threshold) {
    if (threshold <= 0 || cbor == null || cbor.length < threshold || isCompressed(cbor)) {
      return cbor;
    }
    int bound = COMPRESSOR.maxCompressedLength(cbor.length);
    byte[] out = new byte[COMPRESSED_HEADER_BYTES + bound];
    System.arraycopy(LZ4_MAGIC, 0, out, 0, LZ4_MAGIC.length);
    ByteBuffer.wrap(out, LZ4_MAGIC.length, 4).putInt(cbor.length);
    int written = COMPRESSOR.compress(cbor, 0, cbor.length, out, COMPRESSED_HEADER_BYTES, bound);
    int total = COMPRESSED_HEADER_BYTES + written;
    if (total >= cbor.length) {
      return cbor;
    }
    return java.util.Arrays.copyOf(out, total);
  }

  /** True when the bytes are a compressed payload (they start with the lz4 magic). */
  public static boolean isCompressed(byte[] bytes) {
    if (bytes == null || bytes.length < LZ4_MAGIC.length) {
      return false;
    }
    for (int i = 0; i < LZ4_MAGIC.length; i++) {
      if (bytes[i] != LZ4_MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The size the payload has once inflated, read from the header only: its length when it is not
   * compressed, the declared original length when it is ({@link Integer#MAX_VALUE} for a negative
   * one). For size checks before anything is allocated.
   */
  public static int decodedLength(byte[] bytes) {
    if (bytes == null) {
      return 0;
    }
    if (!isCompressed(bytes) || bytes.length < COMPRESSED_HEADER_BYTES) {
      return bytes.length;
    }
    int declared = ByteBuffer.wrap(bytes, LZ4_MAGIC.length, 4).getInt();
    return declared < 0 ? Integer.MAX_VALUE : declared;
  }

  /**
   * The plain CBOR of a payload: the bytes themselves when not compressed, else inflated.
   *
   * @throws IpcException TOO_LARGE when the declared size exceeds {@code maxBytes} (checked before
   *     allocating), VALIDATION when the compressed bytes are corrupt or do not match their header
   */
  public static byte[] decompress(byte[] bytes, int maxBytes) {
    if (!isCompressed(bytes)) {
      return bytes;
    }
    if (bytes.length < COMPRESSED_HEADER_BYTES) {
      throw new IpcException(ErrorCode.VALIDATION, "Truncated compressed payload header");
    }
    int declared = decodedLength(bytes);
    if (declared > maxBytes) {
      throw new IpcException(ErrorCode.TOO_LARGE, "Compressed payload inflates to " + declared
          + " bytes, over the limit of " + maxBytes + " bytes");
    }
    byte[] out = new byte[declared];
    int inflated;
    try {
      inflated = DECOMPRESSOR.decompress(bytes, COMPRESSED_HEADER_BYTES, bytes.length - COMPRESSED_HEADER_BYTES, out, 0, declared);
    } catch (LZ4Exception e) {
      throw new IpcException(ErrorCode.VALIDATION, "Corrupt compressed payload: " + e.getMessage());
    }
    if (inflated != declared) {
      throw new IpcException(ErrorCode.VALIDATION, "Compressed payload inflates to " + inflated
          + " bytes, not the " + declared + " its header declares");
    }
    return out;
  }

  /**
   * Decodes CBOR bytes as the given type. An empty payload decodes as an empty object, so that
   * {@code invoke("power:state")} needs no payload.
   *
   * @throws IpcException with {@link ErrorCode#VALIDATION} when the bytes do not fit the type
   */
  public static <T> T decode(byte[] bytes, Class<T> type) {
    return decode(bytes, type, maxDecompressed);
  }

  /**
   * Like {@link #decode(byte[], Class)}, inflating a compressed payload to at most
   * {@code maxDecompressedBytes} (TOO_LARGE beyond, refused before allocating).
   */
  public static <T> T decode(byte[] bytes, Class<T> type, int maxDecompressedBytes) {
    if (type == Void.class) {
      return null;
    }
    ObjectReader reader = READERS.computeIfAbsent(type, CBOR::readerFor);
    try {
      if (bytes == null || bytes.length == 0) {
        return JSON_READERS.computeIfAbsent(type, JSON::readerFor).readValue("{}");
      }
      return reader.readValue(decompress(bytes, maxDecompressedBytes));
    } catch (IOException e) {
      throw new IpcException(ErrorCode.VALIDATION, "Invalid payload for " + type.getSimpleName() + ": " + describe(e));
    }
  }

  /** Converts CBOR bytes to a JSON tree, for consoles and inspectors. */
  public static JsonNode toJson(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return JSON.nullNode();
    }
    try {
      return CBOR.readTree(decompress(bytes, maxDecompressed));
    } catch (IOException e) {
      throw new IpcException(ErrorCode.VALIDATION, "Undecodable payload: " + describe(e));
    }
  }

  /** Converts a value (record or tree) to a JSON tree. */
  public static JsonNode toTree(Object value) {
    return JSON.valueToTree(value);
  }

  /** Converts a JSON tree to a typed value, with the same strictness as {@link #decode}. */
  public static <T> T fromTree(JsonNode tree, Class<T> type) {
    try {
      return JSON.treeToValue(tree, type);
    } catch (IOException | IllegalArgumentException e) {
      throw new IpcException(ErrorCode.VALIDATION, "Invalid value for " + type.getSimpleName() + ": " + e.getMessage());
    }
  }

  /** Parses JSON text as a tree (console input). */
  public static JsonNode parseJson(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IpcException(ErrorCode.VALIDATION, "Invalid JSON: " + describe(e));
    }
  }

  /** Renders a value as one line of JSON. */
  public static String toJsonString(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IpcException(ErrorCode.INTERNAL, "Cannot render JSON: " + e.getOriginalMessage());
    }
  }

  /** The JSON mapper, configured as strictly as the codec (for renderers' typed views of state). */
  public static ObjectMapper json() {
    return JSON;
  }

  private static String describe(IOException e) {
    if (e instanceof JsonProcessingException j) {
      String msg = j.getOriginalMessage();
      return msg == null ? e.getClass().getSimpleName() : msg.lines().findFirst().orElse(msg);
    }
    return String.valueOf(e.getMessage());
  }
}
