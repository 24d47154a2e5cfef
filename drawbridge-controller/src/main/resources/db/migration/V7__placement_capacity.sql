-- Each host's used CPU and memory, kept by Placement in the same transaction as every placement, move and
-- deletion of an instance, so choosing a host is an index probe instead of summing every host's instances.
ALTER TABLE nodes ADD COLUMN used_cpus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN used_memory_mb BIGINT NOT NULL DEFAULT 0;
UPDATE nodes SET
    used_cpus = (SELECT COALESCE(SUM(i.cpus), 0) FROM instances i WHERE i.node_id = nodes.id),
    used_memory_mb = (SELECT COALESCE(SUM(i.memory_mb), 0) FROM instances i WHERE i.node_id = nodes.id);
-- Placement's host choice: open, trusted, active hosts in order of most free memory, then name. The free-memory
-- expression must stay exactly as Placement writes it (Capacity.FREE_MB): both engines use an expression index
-- only for the same expression, not for an equivalent one.
CREATE INDEX nodes_placement ON nodes (state, placement_disabled, verdict,
    (COALESCE(capacity_memory_mb, 0) - used_memory_mb) DESC, name);
