package io.lakeshard.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

/**
 * Resolves a channel to the one address the client already resolved. akka-grpc 2.3's own resolver reads the service
 * name from the target's authority, which grpc-java 1.60+ (the version Arrow Flight needs, one for the build) no
 * longer passes for its {@code //name} targets ("target uri should not have null authority"; akka-grpc fixed it in
 * 2.4.1). Each of the client's channels is to one known address anyway.
 */
public final class FixedAddressResolver extends NameResolver.Factory {
    private final String authority;
    private final InetSocketAddress address;

    /** {@code builder} resolving to {@code address} alone: for any akka-grpc client's channel builder overrides. */
    public static NettyChannelBuilder pin(NettyChannelBuilder builder, InetSocketAddress address) {
        return builder.nameResolverFactory(new FixedAddressResolver(address.getHostString() + ":" + address.getPort(), address));
    }

    public FixedAddressResolver(String authority, InetSocketAddress address) {
        this.authority = requireNonNull(authority, "authority is null");
        this.address = requireNonNull(address, "address is null");
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        return new NameResolver() {
            @Override
            public String getServiceAuthority() {
                return authority;
            }

            @Override
            public void start(Listener2 listener) {
                listener.onResult(ResolutionResult.newBuilder()
                        .setAddresses(List.of(new EquivalentAddressGroup(address))).build());
            }

            @Override
            public void shutdown() {}
        };
    }

    @Override
    public String getDefaultScheme() {
        return "lakeshard";
    }
}
