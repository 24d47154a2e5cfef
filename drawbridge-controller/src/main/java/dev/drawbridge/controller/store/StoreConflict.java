package dev.drawbridge.controller.store;

/** A write collided with an existing row (a unique key); the API answers 409 Conflict. */
public final class StoreConflict extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreConflict(String message, Throwable cause) {
        super(message, cause);
    }
}
