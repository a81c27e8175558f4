-- 007: 动态监管 — funded projects from agreement to final evaluation: brands and service points,
-- agreements (projects) with milestones and tranches, the service ledger (activities), expenses,
-- mid-term/final evaluations, risk rules and acknowledgements, the project timeline. Adds only.
-- Money is DECIMAL(14,2) yuan; percentages are DOUBLE 0-100.
CREATE SEQUENCE IF NOT EXISTS seq_brands START 1;
CREATE SEQUENCE IF NOT EXISTS seq_service_points START 1;
CREATE SEQUENCE IF NOT EXISTS seq_projects START 1;
CREATE SEQUENCE IF NOT EXISTS seq_project_milestones START 1;
CREATE SEQUENCE IF NOT EXISTS seq_tranches START 1;
CREATE SEQUENCE IF NOT EXISTS seq_activities START 1;
CREATE SEQUENCE IF NOT EXISTS seq_expenses START 1;
CREATE SEQUENCE IF NOT EXISTS seq_evaluations START 1;
CREATE SEQUENCE IF NOT EXISTS seq_risk_acks START 1;
CREATE SEQUENCE IF NOT EXISTS seq_project_events START 1;

-- 品牌: core brands (核心品牌, e.g. 1516便民服务, 青葵伙伴) and niche brands (特色品牌)
CREATE TABLE IF NOT EXISTS brands (
    id           BIGINT PRIMARY KEY DEFAULT nextval('seq_brands'),
    name         VARCHAR NOT NULL UNIQUE,
    tier         VARCHAR NOT NULL,
    description  VARCHAR,
    created_at   TIMESTAMP,
    created_by   VARCHAR,
    updated_at   TIMESTAMP,
    updated_by   VARCHAR
);

-- 服务点: where a brand serves, per community
CREATE TABLE IF NOT EXISTS service_points (
    id           BIGINT PRIMARY KEY DEFAULT nextval('seq_service_points'),
    brand_id     BIGINT NOT NULL,
    community    VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,
    address      VARCHAR,
    created_at   TIMESTAMP,
    created_by   VARCHAR,
    updated_at   TIMESTAMP,
    updated_by   VARCHAR,
    UNIQUE (brand_id, community, name)
);

-- 监管规则 per round: tranche plan, evaluation grades and form, expense margin. A round without a row
-- uses the defaults of core.monitoring.monitoring_policy.
CREATE TABLE IF NOT EXISTS monitoring_policies (
    round_id            BIGINT PRIMARY KEY,
    tranche_shares      DOUBLE[] NOT NULL,   -- e.g. [50, 30, 20]; sum 100
    tranche_gates       VARCHAR[] NOT NULL,  -- per tranche: signing | midterm | final
    grade_a             DOUBLE NOT NULL,     -- A >= grade_a
    grade_b             DOUBLE NOT NULL,     -- B >= grade_b, else C
    pass_grades         VARCHAR[] NOT NULL,  -- grades that pass, e.g. [A, B]
    eval_items          VARCHAR[] NOT NULL,  -- evaluation form: item names
    eval_points         DOUBLE[] NOT NULL,   -- and their maximum points (sum = full mark, default 100)
    expense_margin      DOUBLE NOT NULL,     -- % a budget line may be exceeded without a reason
    report_grace_days   INTEGER NOT NULL,    -- days after a report's due date before "missing" counts as a fail
    created_at          TIMESTAMP,
    created_by          VARCHAR,
    updated_at          TIMESTAMP,
    updated_by          VARCHAR
);

-- 立项项目 / 资助协议: one per funded application
CREATE TABLE IF NOT EXISTS projects (
    id                    BIGINT PRIMARY KEY DEFAULT nextval('seq_projects'),
    application_id        BIGINT NOT NULL UNIQUE,
    agreement_no          VARCHAR NOT NULL UNIQUE,
    agreement_date        DATE NOT NULL,
    granted_amount        DECIMAL(14, 2) NOT NULL,
    start_date            DATE NOT NULL,
    end_date              DATE NOT NULL,
    planned_activities    INTEGER NOT NULL,
    planned_person_times  INTEGER NOT NULL,
    communities           VARCHAR[] NOT NULL,
    brand_id              BIGINT,
    budget_personnel      DECIMAL(14, 2) NOT NULL DEFAULT 0,
    budget_materials      DECIMAL(14, 2) NOT NULL DEFAULT 0,
    budget_venue          DECIMAL(14, 2) NOT NULL DEFAULT 0,
    budget_publicity      DECIMAL(14, 2) NOT NULL DEFAULT 0,
    budget_other          DECIMAL(14, 2) NOT NULL DEFAULT 0,
    funds_self            DECIMAL(14, 2) DEFAULT 0,   -- 配套资金: raised by the organisation itself
    funds_enterprise      DECIMAL(14, 2) DEFAULT 0,   -- from enterprises (企业公益认领)
    funds_donation        DECIMAL(14, 2) DEFAULT 0,   -- from foundations and donations
    midterm_due           DATE NOT NULL,       -- mid-term self-report due
    final_due             DATE NOT NULL,       -- final report due
    state                 VARCHAR NOT NULL DEFAULT 'active',  -- active | stopped | terminated | closed
    recover_amount        DECIMAL(14, 2),      -- money to recover on termination
    state_note            VARCHAR,
    closed_on             DATE,
    notes                 VARCHAR,
    created_at            TIMESTAMP,
    created_by            VARCHAR,
    updated_at            TIMESTAMP,
    updated_by            VARCHAR
);

CREATE TABLE IF NOT EXISTS project_milestones (
    id           BIGINT PRIMARY KEY DEFAULT nextval('seq_project_milestones'),
    project_id   BIGINT NOT NULL,
    due_date     DATE NOT NULL,
    deliverable  VARCHAR NOT NULL,
    done_on      DATE,
    note         VARCHAR,
    created_at   TIMESTAMP,
    created_by   VARCHAR,
    updated_at   TIMESTAMP,
    updated_by   VARCHAR
);

-- 资金拨付: the tranche plan and its disbursements (one row per tranche)
CREATE TABLE IF NOT EXISTS tranches (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_tranches'),
    project_id       BIGINT NOT NULL,
    seq              INTEGER NOT NULL,          -- 1, 2, 3 ...
    share            DOUBLE NOT NULL,           -- % of the granted amount
    amount           DECIMAL(14, 2) NOT NULL,   -- planned amount
    gate             VARCHAR NOT NULL,          -- signing | midterm | final
    planned_date     DATE,
    status           VARCHAR NOT NULL DEFAULT 'planned',  -- planned | released | cancelled
    released_on      DATE,
    released_amount  DECIMAL(14, 2),
    approver         VARCHAR,
    note             VARCHAR,
    created_at       TIMESTAMP,
    created_by       VARCHAR,
    updated_at       TIMESTAMP,
    updated_by       VARCHAR,
    UNIQUE (project_id, seq)
);

-- 服务台账: activities
CREATE TABLE IF NOT EXISTS activities (
    id             BIGINT PRIMARY KEY DEFAULT nextval('seq_activities'),
    project_id     BIGINT NOT NULL,
    activity_date  DATE NOT NULL,
    community      VARCHAR NOT NULL,
    place          VARCHAR,
    kind           VARCHAR NOT NULL,
    title          VARCHAR NOT NULL,
    participants   INTEGER NOT NULL,     -- distinct people at the activity
    person_times   INTEGER NOT NULL,     -- 服务人次
    volunteers     INTEGER NOT NULL DEFAULT 0,
    notes          VARCHAR,
    created_at     TIMESTAMP,
    created_by     VARCHAR,
    updated_at     TIMESTAMP,
    updated_by     VARCHAR,
    UNIQUE (project_id, activity_date, title)
);

-- 经费支出
CREATE TABLE IF NOT EXISTS expenses (
    id            BIGINT PRIMARY KEY DEFAULT nextval('seq_expenses'),
    project_id    BIGINT NOT NULL,
    expense_date  DATE NOT NULL,
    line          VARCHAR NOT NULL,        -- budget line key, e.g. budget_personnel
    amount        DECIMAL(14, 2) NOT NULL,
    description   VARCHAR NOT NULL,
    voucher_no    VARCHAR NOT NULL,
    over_reason   VARCHAR,                 -- required when the line goes over budget by more than the margin
    created_at    TIMESTAMP,
    created_by    VARCHAR,
    updated_at    TIMESTAMP,
    updated_by    VARCHAR,
    UNIQUE (project_id, voucher_no)
);

-- 中期/末期评估
CREATE TABLE IF NOT EXISTS evaluations (
    id              BIGINT PRIMARY KEY DEFAULT nextval('seq_evaluations'),
    project_id      BIGINT NOT NULL,
    kind            VARCHAR NOT NULL,       -- midterm | final
    report_date     DATE,                   -- self-report received
    self_report     VARCHAR,
    eval_date       DATE NOT NULL,
    method          VARCHAR NOT NULL,       -- 电话 | 资料 | 实地 | 逾期未报
    evaluator       VARCHAR NOT NULL,
    item_scores     VARCHAR,                -- JSON {item: points}
    total_score     DOUBLE NOT NULL,
    grade           VARCHAR NOT NULL,       -- A | B | C
    passed          BOOLEAN NOT NULL,
    outcome         VARCHAR NOT NULL,       -- pass | stop | terminate
    recover_amount  DECIMAL(14, 2),
    conclusion      VARCHAR NOT NULL,
    created_at      TIMESTAMP,
    created_by      VARCHAR,
    updated_at      TIMESTAMP,
    updated_by      VARCHAR
);

-- 风险预警: thresholds per rule (rules themselves live in core.monitoring.risks)
CREATE TABLE IF NOT EXISTS risk_settings (
    code        VARCHAR PRIMARY KEY,
    severity    VARCHAR NOT NULL,   -- 高 | 中 | 低
    threshold   DOUBLE NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR
);

-- a staff member's acknowledgement of a warning; the warning reopens after ``until`` if it persists
CREATE TABLE IF NOT EXISTS risk_acks (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_risk_acks'),
    project_id  BIGINT NOT NULL,
    code        VARCHAR NOT NULL,
    note        VARCHAR NOT NULL,
    until       DATE NOT NULL,
    created_at  TIMESTAMP,
    created_by  VARCHAR,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR
);

-- the project's timeline (agreement, releases, evaluations, state changes)
CREATE TABLE IF NOT EXISTS project_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('seq_project_events'),
    project_id  BIGINT NOT NULL,
    event       VARCHAR NOT NULL,
    detail      VARCHAR,
    happened_on DATE NOT NULL,
    created_at  TIMESTAMP,
    created_by  VARCHAR,
    updated_at  TIMESTAMP,
    updated_by  VARCHAR
);

CREATE INDEX IF NOT EXISTS ix_activities_project ON activities (project_id, activity_date);
CREATE INDEX IF NOT EXISTS ix_expenses_project ON expenses (project_id);
CREATE INDEX IF NOT EXISTS ix_evaluations_project ON evaluations (project_id, kind);
CREATE INDEX IF NOT EXISTS ix_risk_acks_project ON risk_acks (project_id, code);
