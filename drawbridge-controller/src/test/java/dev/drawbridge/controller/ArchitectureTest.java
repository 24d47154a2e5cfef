package dev.drawbridge.controller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The controller's package rules, read from its compiled classes: the package order in DESIGN.md, the HTTP layer
 * kept away from the store, no cycles, and one owning package per table. Each failure names the offending class.
 */
class ArchitectureTest {
    private static final String ROOT = "dev.drawbridge.controller";
    /** DESIGN.md's order: each package uses only those before it. The wiring package (ROOT itself) uses all. */
    static final List<String> LAYERS = List.of("store", "config", "inventory", "cluster", "enroll", "power", "media", "verify",
            "placement", "trust", "fence", "conductor", "api");
    /** Each table and the one package that may read or write it. */
    static final Map<String, String> OWNERS = Map.ofEntries(
            Map.entry("flyway_schema_history", "store"), Map.entry("ca_key", "store"),
            Map.entry("nodes", "inventory"), Map.entry("audit_events", "inventory"), Map.entry("audit_head", "inventory"),
            Map.entry("enrollment_tickets", "enroll"), Map.entry("certificates", "enroll"), Map.entry("counters", "enroll"),
            Map.entry("attestations", "verify"), Map.entry("golden_values", "verify"),
            Map.entry("instances", "placement"),
            Map.entry("oauth_clients", "trust"), Map.entry("oauth_keys", "trust"),
            Map.entry("oauth_revoked_tokens", "trust"), Map.entry("peers", "trust"),
            Map.entry("fences", "fence"), Map.entry("fence_steps", "fence"),
            Map.entry("discovered", "discovery"), Map.entry("virtual_media", "media"),
            Map.entry("cluster_members", "cluster"), Map.entry("leases", "cluster"),
            Map.entry("reservations", "cluster"));

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
        assertThat(classes.size()).as("controller classes found").isGreaterThan(100);
    }

    @Test
    @DisplayName("each package uses only the packages before it in DESIGN.md's order, never the wiring package")
    void packageOrder() {
        for (int i = 0; i < LAYERS.size(); i++) {
            List<String> later = new ArrayList<>();
            for (String p : LAYERS.subList(i + 1, LAYERS.size())) {
                later.add(ROOT + "." + p + "..");
            }
            String layer = ROOT + "." + LAYERS.get(i) + "..";
            noClasses().that().resideInAPackage(layer)
                    .should().dependOnClassesThat().resideInAnyPackage(later.toArray(String[]::new))
                    .orShould().dependOnClassesThat().resideInAPackage(ROOT)
                    .because("package " + LAYERS.get(i) + " may use only " + LAYERS.subList(0, i)
                            + " (DESIGN.md, Modules)")
                    .allowEmptyShould(true)
                    .check(classes);
        }
    }

    @Test
    @DisplayName("the HTTP layer never sees the store: no Database, Handle, Jdbi or SQL")
    void apiDoesNotTouchTheStore() {
        noClasses().that().resideInAPackage(ROOT + ".api..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".store..", "org.jdbi..", "java.sql..")
                .because("routes call services; only services hold transactions")
                .check(classes);
    }

    @Test
    @DisplayName("the packages have no cycles")
    void noCycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    private static final Pattern SQL_TABLE = Pattern.compile("\\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\\s+([a-z_]+)\\b");

    @Test
    @DisplayName("each table is read and written only by its owning package")
    void oneOwnerPerTable() throws IOException {
        Map<String, TreeSet<String>> offences = new TreeMap<>();
        int statements = 0;
        for (JavaClass c : classes) {
            String pkg = c.getPackageName();
            String layer = pkg.equals(ROOT) ? "" : pkg.substring(ROOT.length() + 1).split("\\.")[0];
            for (String constant : stringConstants(c)) {
                Matcher m = SQL_TABLE.matcher(constant);
                while (m.find()) {
                    String owner = OWNERS.get(m.group(1));
                    if (owner == null) {
                        continue;
                    }
                    statements++;
                    if (!owner.equals(layer)) {
                        offences.computeIfAbsent(c.getName(), k -> new TreeSet<>())
                                .add(m.group(1) + " (owned by " + owner + ")");
                    }
                }
            }
        }
        assertThat(statements).as("SQL statements found in the compiled classes").isGreaterThan(50);
        assertThat(offences).as("classes that touch a table another package owns").isEmpty();
    }

    /** The String constants of a compiled class, read from its constant pool (text blocks and concat recipes too). */
    static List<String> stringConstants(JavaClass c) throws IOException {
        String resource = "/" + c.getName().replace('.', '/') + ".class";
        try (InputStream raw = ArchitectureTest.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IOException("class file not found: " + resource);
            }
            DataInputStream in = new DataInputStream(raw);
            in.readInt(); // magic
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            List<Integer> strings = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 8 -> strings.add(in.readUnsignedShort());
                    case 7, 16, 19, 20 -> in.readUnsignedShort();
                    case 15 -> in.skipNBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++;
                    }
                    default -> throw new IOException("unknown constant pool tag " + tag + " in " + resource);
                }
            }
            List<String> out = new ArrayList<>();
            for (int index : strings) {
                out.add(utf8[index]);
            }
            return out;
        }
    }
}
