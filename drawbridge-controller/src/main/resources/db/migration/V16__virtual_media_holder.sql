-- Which controller run holds an inserted image in memory (a cluster member id; '' for rows from before this column).
-- An image whose holder is gone (restarted, stopped, dead) can never be fetched: the sweep ejects it.
ALTER TABLE virtual_media ADD COLUMN holder TEXT NOT NULL DEFAULT '';
