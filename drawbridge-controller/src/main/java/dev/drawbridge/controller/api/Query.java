package dev.drawbridge.controller.api;

import io.helidon.webserver.http.ServerRequest;
import java.util.List;
import java.util.Optional;

/**
 * Query parameters as plain strings. Helidon's {@code first(...).asOptional()} goes through its mapper
 * registry, which the one shaded jar does not carry whole; reading the raw values needs no registry.
 */
final class Query {
    private Query() {}

    static Optional<String> param(ServerRequest req, String name) {
        List<String> values = req.query().all(name, List::of);
        return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
}
