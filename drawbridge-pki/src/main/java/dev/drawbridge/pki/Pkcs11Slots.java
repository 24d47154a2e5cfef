package dev.drawbridge.pki;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a PKCS#11 slot by its token label. SunPKCS11's configuration names slots only by id or list
 * index, and token ids change (SoftHSM2 derives them from the token serial), so we ask the module with
 * C_GetSlotList and C_GetTokenInfo (PKCS#11 v2.40 §5.5) through the JDK's own wrapper. That package is not
 * exported: the JVM needs {@code --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}
 * (or the {@code Add-Exports} manifest attribute of an executable jar).
 */
final class Pkcs11Slots {
    private static final String WRAPPER = "sun.security.pkcs11.wrapper";
    private static final long CKF_OS_LOCKING_OK = 0x2;

    private Pkcs11Slots() {}

    static long find(Path library, String tokenLabel) {
        boolean exported = ModuleLayer.boot().findModule("jdk.crypto.cryptoki")
                .map(m -> m.isExported(WRAPPER, Pkcs11Slots.class.getModule())).orElse(false);
        if (!exported) {
            throw new PkiException("cannot look up PKCS#11 token '" + tokenLabel + "': start the JVM with "
                    + "--add-exports jdk.crypto.cryptoki/" + WRAPPER + "=ALL-UNNAMED");
        }
        List<String> seen = new ArrayList<>();
        try {
            Class<?> pkcs11 = Class.forName(WRAPPER + ".PKCS11");
            Class<?> initArgsType = Class.forName(WRAPPER + ".CK_C_INITIALIZE_ARGS");
            Object initArgs = initArgsType.getConstructor().newInstance();
            // Same flags SunPKCS11 passes: the module may be called from many threads at once.
            initArgsType.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsType,
                    boolean.class);
            Object module = getInstance.invoke(null, library.toString(), "C_GetFunctionList", initArgs, false);
            long[] slots = (long[]) pkcs11.getMethod("C_GetSlotList", boolean.class).invoke(module, true);
            Method tokenInfo = pkcs11.getMethod("C_GetTokenInfo", long.class);
            for (long slot : slots) {
                Object info = tokenInfo.invoke(module, slot);
                // CK_TOKEN_INFO.label is 32 characters padded with blanks (PKCS#11 v2.40 §3.2).
                String label = new String((char[]) info.getClass().getField("label").get(info)).strip();
                if (label.equals(tokenLabel)) {
                    return slot;
                }
                seen.add(label);
            }
        } catch (InvocationTargetException e) {
            throw new PkiException("PKCS#11 module " + library + " failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new PkiException("cannot list PKCS#11 tokens of " + library + ": " + e, e);
        }
        throw new PkiException("no PKCS#11 token labelled '" + tokenLabel + "' in " + library + "; tokens: " + seen);
    }
}
