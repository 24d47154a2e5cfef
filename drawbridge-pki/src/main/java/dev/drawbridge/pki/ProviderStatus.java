package dev.drawbridge.pki;

/**
 * Which cryptography provider set is in use after {@link CryptoProviders#install()}.
 *
 * @param active name and version of the first provider (what {@code getInstance} calls pick)
 * @param accp   whether the Amazon Corretto Crypto Provider is installed first
 * @param detail why ACCP is or is not in use, for the startup log and {@code drawbridge version}
 */
public record ProviderStatus(String active, boolean accp, String detail) {}
