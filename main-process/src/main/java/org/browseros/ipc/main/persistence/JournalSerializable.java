package org.browseros.ipc.main.persistence;

/**
 * Marker for persisted events and snapshots of the domain actors, bound to {@code jackson-cbor} in
 * {@code browseros-domain.conf}. Kept apart from the protocol's {@code CborSerializable}: journal
 * records are stored, never sent to another JVM.
 */
public interface JournalSerializable {}
