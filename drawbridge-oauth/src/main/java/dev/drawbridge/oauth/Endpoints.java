package dev.drawbridge.oauth;

/** The paths of the authorization server's endpoints, under the issuer. */
public final class Endpoints {
    public static final String METADATA = "/.well-known/oauth-authorization-server";
    public static final String JWKS = "/oauth2/jwks";
    public static final String REGISTER = "/oauth2/register";
    public static final String TOKEN = "/oauth2/token";
    public static final String INTROSPECT = "/oauth2/introspect";
    public static final String REVOKE = "/oauth2/revoke";
    public static final String DEVICE_AUTHORIZATION = "/oauth2/device_authorization";
    public static final String DEVICE_PAGE = "/device";

    private Endpoints() {}
}
