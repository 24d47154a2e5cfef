package dev.drawbridge.pki;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.security.Security;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the Amazon Corretto Crypto Provider (AWS-LC) as the first JCA provider when its native library
 * loads. P-256 signing is about 20 times faster there than in SunEC, and issuance speed matters. When it
 * cannot load, the JDK providers stay and a warning says why. {@code -Ddrawbridge.crypto=jdk} or
 * {@code DRAWBRIDGE_CRYPTO=jdk} keeps the JDK providers on purpose, so benchmarks can compare both.
 */
public final class CryptoProviders {
    private static final Logger LOG = LoggerFactory.getLogger(CryptoProviders.class);
    private static ProviderStatus status;

    private CryptoProviders() {}

    /** Installs the providers once; later calls return the first result. */
    public static synchronized ProviderStatus install() {
        if (status == null) {
            status = choose();
            LOG.info("cryptography provider: {} ({})", status.active(), status.detail());
        }
        return status;
    }

    private static ProviderStatus choose() {
        Optional<String> forced = forcedChoice();
        if (forced.filter("jdk"::equals).isPresent()) {
            return new ProviderStatus(first(), false, "JDK providers chosen by DRAWBRIDGE_CRYPTO=jdk");
        }
        try {
            AmazonCorrettoCryptoProvider.install();
            AmazonCorrettoCryptoProvider.INSTANCE.assertHealthy();
            return new ProviderStatus(first(), true, "Amazon Corretto Crypto Provider installed first");
        } catch (RuntimeException | LinkageError e) {
            // A missing or incompatible native library shows up as a LinkageError or a failed self-test.
            Security.removeProvider("AmazonCorrettoCryptoProvider");
            String why = "Amazon Corretto Crypto Provider unavailable (" + e + "); using JDK providers, "
                    + "signing will be much slower";
            LOG.warn(why);
            return new ProviderStatus(first(), false, why);
        }
    }

    private static Optional<String> forcedChoice() {
        String value = System.getProperty("drawbridge.crypto", System.getenv("DRAWBRIDGE_CRYPTO"));
        return Optional.ofNullable(value).map(v -> v.trim().toLowerCase(Locale.ROOT)).filter(v -> !v.isEmpty());
    }

    private static String first() {
        Provider p = Security.getProviders()[0];
        return p.getName() + " " + p.getVersionStr();
    }
}
