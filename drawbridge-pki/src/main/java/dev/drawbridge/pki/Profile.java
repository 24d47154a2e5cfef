package dev.drawbridge.pki;

/** Issuance profiles: each sets key usages, extended key usages and a lifetime from config. */
public enum Profile {
    /** A node (agent) identity: TLS server and client auth. Default lifetime 24 h. */
    NODE,
    /** A controller identity: TLS server and client auth. */
    CONTROLLER,
    /** A management console client certificate: TLS client auth. */
    CONSOLE_CLIENT
}
