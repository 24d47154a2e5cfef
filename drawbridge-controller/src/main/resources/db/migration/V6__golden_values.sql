-- Explicit golden PCR values per node group (a node's label "group"): they take precedence over the
-- baseline captured at the node's enrollment for the PCRs they name. Who set them, and why, is kept.
CREATE TABLE golden_values (
    node_group  TEXT NOT NULL,
    pcr         INTEGER NOT NULL,
    value_hex   TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    reason      TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    PRIMARY KEY (node_group, pcr)
);
