-- Provisional deadlines (docs/sla.md, "Provisional deadlines"): when a deadline needs a year whose
-- State Council holiday notice is not loaded, it is computed on the plain weekday rule (Mon-Fri
-- working, no holidays) instead of being left empty, and marked here. Loading the year's notice
-- recomputes every marked letter, open or closed (an sla_recomputed event each).
ALTER TABLE letters ADD COLUMN sla_provisional boolean NOT NULL DEFAULT false;
CREATE INDEX letters_sla_provisional_idx ON letters (id) WHERE sla_provisional;
