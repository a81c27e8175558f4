-- 006: 能力建设 — one sign-in per person and organisation at a training, so a re-imported sign-in
-- sheet adds nothing (even when two imports race). Adds only.
CREATE UNIQUE INDEX IF NOT EXISTS ux_attendance_person ON training_attendance (training_id, org_id, person);
