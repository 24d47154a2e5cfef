package dev.drawbridge.controller.trust;

import com.nimbusds.jwt.SignedJWT;
import dev.drawbridge.controller.config.TrustConfig;
import dev.drawbridge.controller.config.TrustPolicyConfig;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.controller.store.Sealer;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.oauth.ApiScope;
import dev.drawbridge.oauth.AuditSink;
import dev.drawbridge.oauth.AuthorizationServer;
import dev.drawbridge.oauth.OAuthClient;
import dev.drawbridge.oauth.OAuthSettings;
import dev.drawbridge.oauth.RegistrationPolicy;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.oauth.VendorKeys;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import net.minidev.json.JSONArray;
import net.minidev.json.JSONObject;
import net.minidev.json.JSONValue;

/**
 * Machine-to-machine trust: the OAuth authorization server on the controller's store, and the five-factor policy
 * that judges its clients. Owns the {@code oauth_*} tables.
 */
public final class TrustService {
    private final TrustPolicy policy;
    private final Optional<PolicySource> file;
    private final JdbiOAuthStore store;
    private final AuditSink audit;
    private final Clock clock;
    private volatile AuthorizationServer oauth;

    private TrustService(TrustPolicy policy, Optional<PolicySource> file, JdbiOAuthStore store, AuditSink audit,
                         Clock clock) {
        this.policy = policy;
        this.file = file;
        this.store = store;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * The trust policy in {@code cfg} (a ConfigException when its file is wrong) over the store; the authorization
     * server opens with {@link #open}, once the controller's URL (its issuer) is known.
     */
    public static TrustService create(Database db, byte[] kek, TrustConfig cfg, X509Certificate ourRoot,
                                      Inventory inventory, Verdicts verdicts, Clock clock) {
        Optional<PolicySource> file = cfg.policyFile().isBlank() ? Optional.empty()
                : Optional.of(PolicySource.of(Path.of(cfg.policyFile())));
        Supplier<TrustPolicyConfig> source = file.isPresent() ? file.get() : PolicySource.defaults();
        TrustPolicy policy = new TrustPolicy(source, ourRoot, inventory::find, verdicts, clock);
        JdbiOAuthStore store = new JdbiOAuthStore(db, new Sealer(kek));
        AuditSink audit = (kind, subject, outcome, detail) -> inventory.record(List.of(new Inventory.AuditEntry(kind,
                subject, outcome, detail)));
        return new TrustService(policy, file, store, audit, clock);
    }

    /**
     * Opens the authorization server at {@code settings.issuer()}: its signing keys (made on first start, sealed at
     * rest), clients and revocations from the store.
     */
    public synchronized void open(OAuthSettings settings) {
        if (oauth == null) {
            oauth = new AuthorizationServer(settings, store, store, policy, audit, clock);
        }
    }

    /** The authorization server; an IllegalStateException before {@link #open} (the first instants of a start). */
    public AuthorizationServer oauth() {
        AuthorizationServer s = oauth;
        if (s == null) {
            throw new IllegalStateException("the authorization server is still starting");
        }
        return s;
    }

    /** What is wrong with the policy file now (the last good policy stays in force), if anything. */
    public Optional<String> policyProblem() {
        return file.flatMap(PolicySource::problem);
    }

    /** How a registration with these facts would be judged now; nothing is written. */
    public record Explanation(TrustDecision decision, Optional<String> statementRefusal) {}

    public Explanation explain(InetAddress source, List<X509Certificate> chain, Optional<String> statement, String name,
                               Set<ApiScope> scopes) {
        Optional<RegistrationPolicy.Statement> verified = Optional.empty();
        Optional<String> refusal = Optional.empty();
        if (statement.isPresent()) {
            try {
                VendorKeys.Checked checked = policy.vendors().check(SignedJWT.parse(statement.get()));
                switch (checked) {
                    case VendorKeys.Verified v -> verified = Optional.of(v.statement());
                    case VendorKeys.Refused r -> refusal = Optional.of((r.unknownVendor()
                            ? "unapproved_software_statement: " : "invalid_software_statement: ") + r.reason());
                }
            } catch (ParseException e) {
                refusal = Optional.of("invalid_software_statement: not a signed JWT");
            }
        }
        TrustDecision d = RegistrationPolicy.withServerRules(policy.judge(new RegistrationPolicy.Facts(source, chain,
                verified, name, scopes)), scopes);
        return new Explanation(d, refusal);
    }

    /** A client the policy, as it stands now, would no longer trust. */
    public record Review(OAuthClient client, TrustDecision now) {}

    /** Every enabled client that the current policy would not trust if it registered today, with the reasons. */
    public List<Review> review() {
        List<Review> out = new ArrayList<>();
        for (OAuthClient c : oauth().clients()) {
            if (c.status() != OAuthClient.Status.ENABLED || c.clientId().equals(AuthorizationServer.OPERATOR_CLIENT)) {
                continue;
            }
            Explanation e = rejudge(c);
            if (e.decision().answer() != TrustDecision.Answer.TRUSTED || e.statementRefusal().isPresent()) {
                out.add(new Review(c, e.decision()));
            }
        }
        return out;
    }

    /** The client's registration facts (stored with its decision) judged by the policy as it stands now. */
    public Explanation rejudge(OAuthClient c) {
        JSONObject decision = JSONValue.parse(c.decision(), JSONObject.class);
        JSONObject facts = decision == null || !(decision.get("facts") instanceof JSONObject f) ? new JSONObject() : f;
        InetAddress source;
        try {
            source = InetAddress.getByName(String.valueOf(facts.getOrDefault("source", "::")));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("client " + c.clientId() + " has an unreadable stored source", e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        if (facts.get("certificate") instanceof JSONArray certs) {
            try {
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (Object o : certs) {
                    chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(
                            Base64.getDecoder().decode(String.valueOf(o)))));
                }
            } catch (CertificateException | IllegalArgumentException e) {
                throw new IllegalStateException("client " + c.clientId() + " has an unreadable stored certificate", e);
            }
        }
        Optional<String> statement = Optional.ofNullable(facts.get("statement")).map(String::valueOf);
        return explain(source, chain, statement, c.name(), c.scopes());
    }

    /** A fence: disables every client that speaks for the node; returns their ids. */
    public List<String> disableNode(String nodeId, String reason) {
        return oauth().disableNode(nodeId, reason);
    }

    /** An operator approves (enables) or disables a client. */
    public boolean setStatus(String clientId, OAuthClient.Status status, String actor) {
        return oauth().setStatus(clientId, status, actor);
    }

    /** The decision stored with a client, as fields. */
    public static Map<String, Object> storedDecision(OAuthClient c) {
        JSONObject d = JSONValue.parse(c.decision(), JSONObject.class);
        return d == null ? Map.of() : d;
    }
}
