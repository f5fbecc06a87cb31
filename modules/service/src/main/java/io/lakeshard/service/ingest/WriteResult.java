package io.lakeshard.service.ingest;

/**
 * An acknowledged write.
 *
 * @param replay true when an earlier attempt under the same key had already committed it
 */
public record WriteResult(long rows, long tableVersion, boolean replay) {}
