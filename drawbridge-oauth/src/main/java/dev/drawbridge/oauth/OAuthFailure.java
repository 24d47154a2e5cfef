package dev.drawbridge.oauth;

import com.nimbusds.oauth2.sdk.ErrorObject;

/** A request refused with an RFC 6749 error (code, description and HTTP status in the error object). */
final class OAuthFailure extends Exception {
    private final ErrorObject error;

    OAuthFailure(ErrorObject base, String description) {
        super(description);
        this.error = base.setDescription(description);
    }

    ErrorObject error() {
        return error;
    }
}
