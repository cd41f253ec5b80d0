package org.browseros.ipc.protocol;

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
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes payloads to CBOR bytes and decodes them by the channel's declared type.
 *
 * <p>Decoding is strict: unknown fields, nulls for primitives, numbers for enums and trailing
 * tokens are refused, and no polymorphic type information is honoured. Readers and writers are
 * built once per type and reused (they are immutable and thread-safe).
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
      CBORMapper.builder(CBORFactory.builder().streamReadConstraints(CONSTRAINTS).build()));
  private static final ObjectMapper JSON = configure(
      JsonMapper.builder(new com.fasterxml.jackson.core.JsonFactoryBuilder().streamReadConstraints(CONSTRAINTS).build()));

  private static final ConcurrentHashMap<Class<?>, ObjectReader> READERS = new ConcurrentHashMap<>();
  private static final ObjectWriter WRITER = CBOR.writer();

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

  /** Encodes a payload record (or a {@link JsonNode}) as CBOR. */
  public static byte[] encode(Object payload) {
    if (payload == null) {
      return new byte[0];
    }
    try {
      return WRITER.writeValueAsBytes(payload);
    } catch (JsonProcessingException e) {
      throw new IpcException(ErrorCode.INTERNAL, "Cannot encode " + payload.getClass().getSimpleName() + ": " + e.getOriginalMessage());
    }
  }

  /**
   * Decodes CBOR bytes as the given type. An empty payload decodes as an empty object, so that
   * {@code invoke("power:state")} needs no payload.
   *
   * @throws IpcException with {@link ErrorCode#VALIDATION} when the bytes do not fit the type
   */
  public static <T> T decode(byte[] bytes, Class<T> type) {
    if (type == Void.class) {
      return null;
    }
    ObjectReader reader = READERS.computeIfAbsent(type, CBOR::readerFor);
    try {
      if (bytes == null || bytes.length == 0) {
        return JSON.readerFor(type).readValue("{}");
      }
      return reader.readValue(bytes);
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
      return CBOR.readTree(bytes);
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
