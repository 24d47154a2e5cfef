package dev.drawbridge.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link Pem#blocks} finds exactly what the regular expression it replaced found. */
class PemScanTest {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]{1,64})-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final String[] PIECES = {"-----BEGIN ", "-----END ", "-----", "CERTIFICATE REQUEST", "CERT",
        "X", " ", "\n", "\r\n", "\t", "MIIB", "QUJD", "==", "=", "-", "#", "a", "Z9", "é", "A".repeat(70)};

    @Test
    void scanning_matches_the_regular_expression_on_random_text() {
        Random random = new Random(42);
        for (int n = 0; n < 200_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(14); i > 0; i--) {
                text.append(PIECES[random.nextInt(PIECES.length)]);
            }
            String s = text.toString();
            assertThat(describe(() -> Pem.blocks(s))).as(s).isEqualTo(describe(() -> regex(s)));
        }
    }

    private static List<String> regex(String text) {
        List<Pem.Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Pem.Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new PkiException("PEM block " + m.group(1) + " holds broken base64");
            }
        }
        return out.stream().map(b -> b.label() + ":" + Base64.getEncoder().encodeToString(b.der())).toList();
    }

    private static List<String> describe(Supplier<List<?>> blocks) {
        try {
            return blocks.get().stream().map(b -> b instanceof Pem.Block pb
                    ? pb.label() + ":" + Base64.getEncoder().encodeToString(pb.der()) : b.toString()).toList();
        } catch (PkiException e) {
            return List.of("error " + e.getMessage());
        }
    }
}
