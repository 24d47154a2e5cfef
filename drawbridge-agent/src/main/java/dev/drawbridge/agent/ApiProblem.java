package dev.drawbridge.agent;

/** An HTTP error answered as RFC 9457 problem details; {@code type} is the last segment of the type URI. */
final class ApiProblem extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;

    ApiProblem(int status, String type, String title, String detail) {
        super(detail, null, false, false); // control flow, not a fault: no stack trace
        this.status = status;
        this.type = type;
        this.title = title;
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String title() {
        return title;
    }
}
