package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * Fencing. {@code power-driver} names the {@code PowerDriver} used to power a node off through its BMC
 * ({@code ipmitool}, {@code fence-agent}, {@code redfish}, {@code fake}, or {@code none}: fences then stay
 * unconfirmed); the BMC address is the node's {@code bmc_address}, the credentials come from here.
 * {@code unreachable-after} &gt; 0 fences a node its agent has not answered for that many polls: off by
 * default, because an unreachable host is not proof of compromise, and fencing it powers off its
 * workloads' host on a network blip (Masakari's and Pacemaker's trade-off: fence early, or risk split brain).
 * {@code redfish-ca-file} is the PEM bundle the Redfish driver trusts for BMC certificates (fencing and virtual
 * media); empty trusts the JDK's store.
 */
public record FencingConfig(String powerDriver, String bmcUsername, String bmcPasswordFile, String ipmiCipher,
                            String fenceAgent, Duration powerOffTimeout, String webhookUrl, int unreachableAfter,
                            Duration verdictMaxAge, String redfishCaFile) {
    public static FencingConfig defaults() {
        return new FencingConfig("none", "", "", "17", "fence_ipmilan", Duration.ofSeconds(30), "", 0,
                Duration.ofSeconds(30), "");
    }

    public FencingConfig withRedfishCaFile(String file) {
        return new FencingConfig(powerDriver, bmcUsername, bmcPasswordFile, ipmiCipher, fenceAgent, powerOffTimeout,
                webhookUrl, unreachableAfter, verdictMaxAge, file);
    }

    public FencingConfig withPowerDriver(String driver) {
        return new FencingConfig(driver, bmcUsername, bmcPasswordFile, ipmiCipher, fenceAgent, powerOffTimeout,
                webhookUrl, unreachableAfter, verdictMaxAge, redfishCaFile);
    }

    public FencingConfig withBmc(String username, String passwordFile, String cipher) {
        return new FencingConfig(powerDriver, username, passwordFile, cipher, fenceAgent, powerOffTimeout, webhookUrl,
                unreachableAfter, verdictMaxAge, redfishCaFile);
    }

    public FencingConfig withUnreachableAfter(int polls) {
        return new FencingConfig(powerDriver, bmcUsername, bmcPasswordFile, ipmiCipher, fenceAgent, powerOffTimeout,
                webhookUrl, polls, verdictMaxAge, redfishCaFile);
    }

    public FencingConfig withWebhook(String url) {
        return new FencingConfig(powerDriver, bmcUsername, bmcPasswordFile, ipmiCipher, fenceAgent, powerOffTimeout,
                url, unreachableAfter, verdictMaxAge, redfishCaFile);
    }
}
