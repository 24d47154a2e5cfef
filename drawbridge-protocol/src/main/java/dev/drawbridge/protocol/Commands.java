package dev.drawbridge.protocol;

/** Agent command names, {@code <group>.<command>} as in DESIGN.md §6. */
public final class Commands {
    public static final String HARDWARE_GET_INFO = "hardware.get_info";
    public static final String NODE_SET_INFO = "node.set_info";
    public static final String IDENTITY_PROVE_TICKET = "identity.prove_ticket";
    public static final String IDENTITY_CREATE_CSR = "identity.create_csr";
    public static final String IDENTITY_INSTALL_CERTIFICATE = "identity.install_certificate";
    public static final String CLEAN_ERASE_DEVICES = "clean.erase_devices";
    public static final String DEPLOY_WRITE_IMAGE = "deploy.write_image";
    public static final String POWER_REBOOT = "power.reboot";
    public static final String SYSTEM_STATUS = "system.status";
    public static final String ATTESTATION_GET_AK = "attestation.get_ak";
    public static final String ATTESTATION_QUOTE = "attestation.quote";
    public static final String ATTESTATION_ACTIVATE_CREDENTIAL = "attestation.activate_credential";

    private Commands() {}
}
