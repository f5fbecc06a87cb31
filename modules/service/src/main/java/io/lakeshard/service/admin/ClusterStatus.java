package io.lakeshard.service.admin;

import java.util.List;
import java.util.Set;

/** The cluster's members and where the table writers run. */
public record ClusterStatus(List<Member> members, List<WriterShards> writerShards) {
    public ClusterStatus {
        members = List.copyOf(members);
        writerShards = List.copyOf(writerShards);
    }

    public record Member(String address, String status, Set<String> roles) {
        public Member {
            roles = Set.copyOf(roles);
        }
    }

    /** The writer shards and writers (one per dataset being written) on the member at {@code address}. */
    public record WriterShards(String address, int shards, int writers) {}
}
