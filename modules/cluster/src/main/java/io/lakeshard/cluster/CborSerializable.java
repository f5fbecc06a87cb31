package io.lakeshard.cluster;

/** Marks messages, events and state that cross the network or the journal: serialized as Jackson CBOR. */
public interface CborSerializable {}
