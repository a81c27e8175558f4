-- 006: 能力建设 — one sign-in per person and organisation at a training (so a re-imported sign-in
-- sheet adds nothing, even when two imports race), and look-up indexes for the assessment views.
CREATE UNIQUE INDEX IF NOT EXISTS ux_attendance_person ON training_attendance (training_id, org_id, person);
CREATE INDEX IF NOT EXISTS ix_ascores_assessment ON assessment_scores (assessment_id);
CREATE INDEX IF NOT EXISTS ix_assessments_org ON assessments (org_id, assessed_on);
