package io.lakeshard.server.grpc;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.service.Principal;
import io.lakeshard.service.auth.ApiKeys;

/** The principal of a gRPC call: its {@code authorization: Bearer <key>} header. */
final class Callers {
    private Callers() {}

    static Principal principal(ApiKeys keys, Metadata metadata) {
        return keys.authenticateHeader(metadata.getText("authorization"));
    }
}
