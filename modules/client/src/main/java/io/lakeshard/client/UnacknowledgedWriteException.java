package io.lakeshard.client;

import static java.util.Objects.requireNonNull;

/**
 * A write the client gave up on: no attempt was acknowledged. {@link #appId()} and {@link #sequence()} are its key
 * and {@link #rows()} its size. {@link #inDoubt()} is true when an attempt failed after it may have reached the
 * server, so the rows may be committed: send them again only under the same key, which the server answers as a
 * replay if they were. It is false when no attempt reached a server or the server refused the write outright.
 */
public final class UnacknowledgedWriteException extends LakeshardException {
    private static final long serialVersionUID = 1L;

    private final String appId;
    private final long sequence;
    private final int rows;
    private final boolean inDoubt;

    UnacknowledgedWriteException(LakeshardException last, String appId, long sequence, int rows, boolean inDoubt) {
        super(last.code(), describe(last, appId, sequence, rows, inDoubt), last);
        this.appId = requireNonNull(appId, "appId is null");
        this.sequence = sequence;
        this.rows = rows;
        this.inDoubt = inDoubt;
    }

    private static String describe(LakeshardException last, String appId, long sequence, int rows, boolean inDoubt) {
        String key = rows + " rows under app id " + appId + ", sequence " + sequence;
        return (inDoubt ? key + " are in doubt: they may be committed; write them again only under this key"
                : key + " are not committed") + " (" + last.getMessage() + ")";
    }

    public String appId() {
        return appId;
    }

    public long sequence() {
        return sequence;
    }

    public int rows() {
        return rows;
    }

    public boolean inDoubt() {
        return inDoubt;
    }

    /** The same failure, in doubt also if an earlier give-up on this key was. */
    UnacknowledgedWriteException inDoubtAfter(boolean earlier) {
        return earlier && !inDoubt ? new UnacknowledgedWriteException((LakeshardException) getCause(), appId, sequence, rows, true) : this;
    }
}
