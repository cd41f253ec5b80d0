package org.browseros.ipc.protocol;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.serialization.jackson.JacksonSerializer;

/**
 * Pekko's Jackson CBOR serializer without inbound decompression. Pekko's serializer inflates any
 * GZIP or LZ4 input it is given, whatever its own {@code compression.algorithm} says, with no cap
 * on the output: a hostile peer could send a small frame that inflates to gigabytes. Nothing we
 * send is compressed, so compressed input is refused before it is inflated (Artery drops the frame).
 */
public final class UncompressedCborSerializer extends JacksonSerializer {

  public UncompressedCborSerializer(ExtendedActorSystem system, String bindingName) {
    super(system, bindingName,
        JacksonObjectMapperProvider.get(system).getOrCreate(bindingName, Optional.of(new CBORFactory())));
  }

  @Override
  public byte[] decompress(byte[] bytes) {
    if (JacksonSerializer.isGZipped(bytes) || JacksonSerializer.isLZ4(bytes)) {
      throw new IllegalArgumentException("Refusing a compressed message of " + bytes.length
          + " bytes: compression is off and inflating untrusted input is unbounded");
    }
    return bytes;
  }
}
