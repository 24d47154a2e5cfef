-- Which controller run is carrying a fence's steps (a cluster member id; '' for fences from before this column).
-- A fence whose runner is dead is taken over, by a conditional update on the runner seen, and finished elsewhere.
ALTER TABLE fences ADD COLUMN runner TEXT NOT NULL DEFAULT '';
