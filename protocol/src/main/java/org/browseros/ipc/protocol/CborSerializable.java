package org.browseros.ipc.protocol;

/**
 * Marker for every message that crosses a JVM boundary. Bound to Pekko's {@code jackson-cbor}
 * serializer in this module's {@code reference.conf}; nothing else is serializable.
 */
public interface CborSerializable {}
