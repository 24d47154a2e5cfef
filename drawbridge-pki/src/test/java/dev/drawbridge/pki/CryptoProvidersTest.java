package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.Security;
import org.junit.jupiter.api.Test;

class CryptoProvidersTest {
    @Test
    void accp_is_installed_first_on_linux_x86_64_and_install_is_idempotent() {
        ProviderStatus first = CryptoProviders.install();
        ProviderStatus second = CryptoProviders.install();

        assertThat(second).isSameAs(first);
        assertThat(first.accp()).as(first.detail()).isTrue();
        assertThat(first.active()).startsWith("AmazonCorrettoCryptoProvider");
        assertThat(Security.getProviders()[0].getName()).isEqualTo("AmazonCorrettoCryptoProvider");
    }

    @Test
    void settings_default_to_documented_values() {
        CaSettings s = CaSettings.defaults();
        assertThat(s.algorithm()).isEqualTo(KeyAlgorithm.EC_P256);
        assertThat(s.rootCommonName()).isEqualTo("Drawbridge Root CA");
        assertThat(s.lifetime(Profile.NODE)).hasHours(24);
        assertThat(s.lifetime(Profile.CONTROLLER)).hasDays(90);
        assertThat(s.lifetime(Profile.CONSOLE_CLIENT)).hasDays(30);
    }
}
