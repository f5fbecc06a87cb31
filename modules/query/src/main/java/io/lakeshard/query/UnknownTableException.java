package io.lakeshard.query;

/** A query named a dataset the tenant does not have. Other tenants' datasets are reported the same way. */
public final class UnknownTableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnknownTableException(String message) {
        super(message);
    }
}
