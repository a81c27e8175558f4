-- 018: 居民满意度调查 — survey instruments (per round, per project, or standard) and their questions, responses (one
-- respondent each) and their answers (core.resources.surveys); and third-party evaluators as parties on evaluations
-- (an evaluating organisation from the registry or a partner, and/or an expert account, besides the free-text 评估人).
CREATE SEQUENCE IF NOT EXISTS seq_surveys START 1;
CREATE TABLE IF NOT EXISTS surveys (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_surveys'), name VARCHAR NOT NULL, round_id BIGINT, project_id BIGINT,
    note VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS seq_survey_questions START 1;
CREATE TABLE IF NOT EXISTS survey_questions (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_survey_questions'), survey_id BIGINT NOT NULL, seq INTEGER NOT NULL,
    text VARCHAR NOT NULL, kind VARCHAR NOT NULL, category VARCHAR NOT NULL, required BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_survey_questions_survey ON survey_questions (survey_id, seq);
CREATE SEQUENCE IF NOT EXISTS seq_survey_responses START 1;
CREATE TABLE IF NOT EXISTS survey_responses (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_survey_responses'), survey_id BIGINT NOT NULL, project_id BIGINT NOT NULL,
    response_date DATE NOT NULL, community VARCHAR NOT NULL, respondent_group VARCHAR, source VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR
);
CREATE INDEX IF NOT EXISTS idx_survey_responses_project ON survey_responses (project_id);
CREATE SEQUENCE IF NOT EXISTS seq_survey_answers START 1;
CREATE TABLE IF NOT EXISTS survey_answers (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_survey_answers'), response_id BIGINT NOT NULL,
    question_id BIGINT NOT NULL, score INTEGER, answer_text VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    UNIQUE (response_id, question_id)
);
CREATE INDEX IF NOT EXISTS idx_survey_answers_question ON survey_answers (question_id);
-- the evaluating parties of an evaluation (existing evaluations keep only their free-text evaluator)
ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS evaluator_org_id BIGINT;
ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS evaluator_partner_id BIGINT;
ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS evaluator_expert VARCHAR;
