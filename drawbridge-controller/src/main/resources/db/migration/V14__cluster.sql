-- Several controllers on one store. Owned by the cluster package.
-- A member is one run of a controller (a new id each start); beats counts its heartbeats. Liveness is judged by
-- each observer watching beats move on its own clock, so no controller's clock is compared with another's.
CREATE TABLE cluster_members (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    beat_at     BIGINT NOT NULL,
    beats       BIGINT NOT NULL
);
-- A singleton duty's lease: its holder (a member id), the fencing epoch (raised at every change of holder; each
-- write the duty makes checks it), and renewals (raised at every renewal, watched like beats).
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    renewals    BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL
);
-- Which member drives a node, with the node's fencing epoch (raised at every take). owner '' is released.
CREATE TABLE reservations (
    node_id     TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL
);
CREATE INDEX reservations_owner ON reservations (owner);
