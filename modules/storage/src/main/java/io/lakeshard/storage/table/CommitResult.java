package io.lakeshard.storage.table;

/**
 * The outcome of a commit.
 *
 * @param version the table version that holds the change
 * @param applied false when the idempotency key showed the change was already committed: nothing was written now
 */
public record CommitResult(long version, boolean applied) {}
