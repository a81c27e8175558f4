"""居民满意度调查: survey instruments, responses (entered by staff or imported from Excel), results per project and per
satisfaction category, and the suggested score of the evaluation item satisfaction feeds. (The evaluating parties of
an evaluation — a third-party organisation, an expert — are the evaluation's own fields: core.monitoring.evaluations.)

Rules and formulas, all here (the screens only show them):

- An **instrument** (问卷) is a list of questions (题目, 题型 满意度 1–5 / 是否 / 文本, 满意度类别, 必答), declared as
  editor rows the way the capability instrument is. It applies to one project, to one round, or to every project
  (the standard questionnaire, neither round nor project). A project's survey: its own instrument, else its round's,
  else the standard one (the newest of each).
- Once an instrument has responses its questions are frozen (answers refer to them): another set of questions is
  another instrument.
- **One response = one respondent**: date, community, optional respondent group, and one answer per question.
  Responses are written in batches (a response and its answers in one unit; an imported sheet in one transaction).
- **满意率** (satisfaction share) = the 1–5 answers of 4 or 5 ÷ all 1–5 answers (:data:`schemas.survey.SATISFIED_FROM`);
  **平均分** = the mean of the 1–5 answers; 是否 questions report the share of 是; text answers are listed.
- **The evaluation item fed by satisfaction** is the round policy's item named
  :data:`schemas.monitoring.SATISFACTION_ITEM` (:func:`core.monitoring.evaluations.satisfaction_field`). Its
  suggested score = the item's maximum × the project's 满意率, rounded to 0.1 (:func:`suggestion`); staff may change it.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd

from core.intake import scope
from core.monitoring import evaluations, monitoring_policy, projects
from core.platform import cache, records
from core.platform.actor import SYSTEM, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.importer import ImportPlan, ImportSpec
from core.platform.lookups import id_names
from core.platform.validation import validate, validate_many
from core.resources import hubs as hub_scope
from core.resources.hubs import READER
from schemas.columns import columns, number, ratio
from schemas.monitoring import SATISFACTION_ITEM
from schemas.survey import (
    SATISFIED_FROM, SCALE, STANDARD_NAME, STANDARD_QUESTIONS, TEXT, YES, YESNO, Survey, SurveyAnswer, SurveyQuestion,
    SurveyResponse, answer_field, response_schema,
)

STAFF = frozenset({"admin", "staff"})
# the hub of a record under a hub's own (Entity.hub_via): a question is its instrument's, a response its project's
# (core.intake.scope; the instrument is of the same hub: survey_for_project), an answer its response's
VIA_SURVEY = ("survey_id", "SELECT hub_id FROM surveys WHERE id = ?")
VIA_RESPONSE = ("response_id", "SELECT r.hub_id FROM survey_responses x JOIN projects p ON p.id = x.project_id"
                " JOIN applications a ON a.id = p.application_id JOIN rounds r ON r.id = a.round_id WHERE x.id = ?")
SURVEY = register(Entity(name="survey", table="surveys", label="满意度问卷", schema=Survey, write_roles=STAFF,
                        hub_owned=True))  # each hub's own instruments (issue 20)
QUESTION = register(Entity(name="survey_question", table="survey_questions", label="问卷题目", schema=SurveyQuestion,
                           write_roles=STAFF, title_field="text", hub_via=VIA_SURVEY))
RESPONSE = register(Entity(name="survey_response", table="survey_responses", label="满意度答卷",
                           schema=SurveyResponse, write_roles=STAFF, title_field="response_date",
                           hub_via=scope.VIA_PROJECT))
ANSWER = register(Entity(name="survey_answer", table="survey_answers", label="答卷回答", schema=SurveyAnswer,
                         write_roles=STAFF, title_field="question_id", hub_via=VIA_RESPONSE))

ENTERED, IMPORTED = "人工录入", "Excel导入"
ROW_FIELDS = ["text", "kind", "category", "required"]
TABLES = ("surveys", "survey_questions", "survey_responses", "survey_answers")
_RESULT_TABLES = TABLES + ("projects", "applications", "organisations")


# ---- choice lists ------------------------------------------------------------------------------------
def install_providers() -> None:
    """``surveys``: every instrument, newest first, by its name (a screen offers its user's hubs' only)."""
    id_names("surveys", ("surveys",), "SELECT id, name, hub_id FROM surveys ORDER BY id DESC", hub_column="hub_id")


# ---- instruments -------------------------------------------------------------------------------------
SURVEY_COLUMNS = columns("id", "name", "scope", "questions", "responses", "note", of=Survey,
                         computed={"scope": "适用范围", "questions": number("题目数"), "responses": number("答卷数")})
ROW_COLUMNS = columns(*ROW_FIELDS, of=SurveyQuestion)
_SCOPE = ("CASE WHEN s.project_id IS NOT NULL THEN '项目:' || p.agreement_no || ' ' || pa.title"
          " WHEN s.round_id IS NOT NULL THEN '批次:' || r.name ELSE '标准问卷(所有项目)' END")


def surveys(db=None, hubs=READER) -> pd.DataFrame:
    """Every instrument (of ``hubs``), newest first: id, name, scope (text), questions, responses, note, round_id,
    project_id."""
    params: list = []
    mine = hub_scope.within("s.hub_id", params, hubs)
    return (db or get_db()).fetch_df(
        f"SELECT s.id, s.name, {_SCOPE} AS scope,"
        " (SELECT count(*) FROM survey_questions q WHERE q.survey_id = s.id) AS questions,"
        " (SELECT count(*) FROM survey_responses x WHERE x.survey_id = s.id) AS responses, s.note,"
        " s.round_id, s.project_id FROM surveys s LEFT JOIN rounds r ON r.id = s.round_id"
        " LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN applications pa ON pa.id = p.application_id"
        f" WHERE {mine} ORDER BY s.id DESC", params)


def survey(survey_id: int, db=None) -> dict:
    """The instrument with its questions (in order) and its response count."""
    db = db or get_db()
    head = hub_scope.require(db.fetch_one("SELECT * FROM surveys WHERE id = ?", [int(survey_id)]), "满意度问卷",
                             survey_id)  # another hub's reads as missing
    head["questions"] = questions(int(survey_id), db)
    head["responses"] = int(db.scalar("SELECT count(*) FROM survey_responses WHERE survey_id = ?", [int(survey_id)]))
    return head


def questions(survey_id: int, db=None) -> list[dict]:
    return (db or get_db()).fetch_all(
        "SELECT id, seq, text, kind, category, required FROM survey_questions WHERE survey_id = ? ORDER BY seq, id",
        [int(survey_id)])


def question_rows(survey_id: int, db=None) -> list[dict]:
    """The instrument as editor rows (题目, 题型, 满意度类别, 必答)."""
    return [{c: q[c] for c in ROW_FIELDS} for q in questions(survey_id, db)]


def standard_rows() -> list[dict]:
    return [{"text": t, "kind": k, "category": c, "required": r} for t, k, c, r in STANDARD_QUESTIONS]


def _blank_row(row: dict) -> bool:
    return all(v is None or v is False or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
               for v in row.values())


def _clean_rows(rows: list[dict]) -> list[dict]:
    """Editor rows -> checked question rows; ValidationFailed names each wrong row (第N行) under ``questions``."""
    rows = [{c: r.get(c) for c in ROW_FIELDS} for r in rows if not _blank_row(r)]
    if not rows:
        raise ValidationFailed(fields={"questions": ["问卷至少需要一道题目"]})
    valid, errors = validate_many(SurveyQuestion, rows)
    if errors:
        raise ValidationFailed(fields={"questions": [f"第{e.row + 1}行:{e.message}" for e in errors]})
    clean = [{**valid[i], "required": bool(valid[i].get("required"))} for i in range(len(rows))]
    texts = [r["text"] for r in clean]
    problems = [f"题目「{t}」重复" for t in sorted({t for t in texts if texts.count(t) > 1})]
    if not any(r["kind"] == SCALE for r in clean):
        problems.append(f"问卷至少需要一道「{SCALE}」题,满意率由这类题计算")
    if problems:
        raise ValidationFailed(fields={"questions": problems})
    return clean


def create_survey(head: dict, rows: list[dict], actor: Actor, db=None, *, hub: int | None = None) -> int:
    """A new instrument with its questions (in the rows' order), in one unit; returns its id. Of the actor's hub
    (``hub``: the system's standard instrument of a hub, :func:`ensure_standard`)."""
    db = db or get_db()
    clean_head = records.clean(SURVEY, head)
    clean = _clean_rows(rows)
    with records.unit(actor, db) as u:
        sid = u.create(SURVEY, clean_head, validated=True, system=None if hub is None else {"hub_id": hub})
        u.create_many(QUESTION, clean, validated=True,
                      system=[{"survey_id": sid, "seq": i} for i in range(1, len(clean) + 1)])
    return sid


def frozen_message(n: int) -> str:
    return (f"该问卷已有 {n} 份答卷,题目已固定(答卷按题目保存):要换题目,请在「新建问卷」中复制本问卷的题目修改后"
            "另存为新问卷;问卷名称、适用范围和说明仍可修改")


def save_survey(survey_id: int, head: dict, rows: list[dict] | None, actor: Actor, db=None) -> bool:
    """Change an instrument's name, scope and note and, while it has no responses, replace its questions with
    ``rows`` (None: keep them). Refused, nothing written, when questions change on an instrument with responses."""
    db = db or get_db()
    current = survey(survey_id, db)
    clean = None if rows is None else _clean_rows(rows)
    same = clean is not None and [{c: q[c] for c in ROW_FIELDS} for q in current["questions"]] == clean
    with records.unit(actor, db) as u:
        changed = u.update(SURVEY, int(survey_id), head)
        if clean is None or same:
            return bool(changed)
        n = u.tx.fetch_one("SELECT count(*) AS n FROM survey_responses WHERE survey_id = ?", [int(survey_id)])["n"]
        if n:
            raise ValidationFailed(fields={"questions": [frozen_message(n)]})
        for q in current["questions"]:
            u.delete(QUESTION, q["id"])
        u.create_many(QUESTION, clean, validated=True,
                      system=[{"survey_id": int(survey_id), "seq": i} for i in range(1, len(clean) + 1)])
    return True


def ensure_standard(actor: Actor = SYSTEM, db=None, *, hub: int | None = None) -> int:
    """The standard questionnaire (for every project) of ``hub`` (else the actor's), created once if it has none;
    returns its id."""
    db = db or get_db()
    hub = int(hub if hub is not None else actor.hub_id)
    found = _standard_id(db, hub)
    if found is not None:
        return found
    with db.write_lock:  # two first visits at once create one
        found = _standard_id(db, hub)
        if found is None:
            found = create_survey({"name": STANDARD_NAME, "note": "中心统一使用的居民满意度问卷"}, standard_rows(),
                                  actor, db=db, hub=hub)
    return found


def _standard_id(db, hub: int) -> int | None:
    return db.scalar("SELECT max(id) FROM surveys WHERE round_id IS NULL AND project_id IS NULL AND hub_id = ?", [hub])


def survey_for_project(project_id: int, db=None) -> int | None:
    """The project's survey: its own instrument, else its round's, else its hub's standard one (the newest of
    each); only an instrument of the project's hub (its round's, core.intake.scope)."""
    db = db or get_db()
    return db.scalar(
        "SELECT s.id FROM surveys s, projects p JOIN applications a ON a.id = p.application_id"
        " JOIN rounds r ON r.id = a.round_id WHERE p.id = ? AND s.hub_id = r.hub_id"
        " AND (s.project_id = p.id OR s.round_id = a.round_id OR (s.project_id IS NULL AND s.round_id IS NULL))"
        " ORDER BY CASE WHEN s.project_id IS NOT NULL THEN 0 WHEN s.round_id IS NOT NULL THEN 1 ELSE 2 END,"
        " s.id DESC LIMIT 1", [int(project_id)])


# ---- responses ---------------------------------------------------------------------------------------
def response_form(survey_id: int, db=None):
    """The response form (and Excel sheet) of the instrument: head fields, then ``q_<id>`` per question."""
    return response_schema(questions(survey_id, db))


def entry_defaults(project_id: int, db=None) -> dict:
    """The response form's starting values: today, and the project's first community."""
    row = (db or get_db()).fetch_one("SELECT communities FROM projects WHERE id = ?", [int(project_id)])
    communities = list((row or {}).get("communities") or [])
    return {"response_date": dt.date.today(), "community": communities[0] if communities else None}


def _project(project_id: int, db) -> dict:
    row = db.fetch_one("SELECT p.id, p.agreement_no, a.title FROM projects p JOIN applications a"
                       " ON a.id = p.application_id WHERE p.id = ?", [int(project_id)])
    if row is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    return row


def _answers(qs: list[dict], clean: dict) -> list[dict]:
    out = []
    for q in qs:
        v = clean.get(answer_field(q["id"]))
        if v is None or (isinstance(v, float) and v != v):
            continue
        if q["kind"] == SCALE:
            out.append({"question_id": q["id"], "score": int(v), "answer_text": None})
        elif q["kind"] == YESNO:
            out.append({"question_id": q["id"], "score": 1 if v == YES else 0, "answer_text": None})
        else:
            out.append({"question_id": q["id"], "score": None, "answer_text": str(v)})
    return out


def write_responses(u: records.Unit, project_id: int, survey_id: int, qs: list[dict], cleans: list[dict],
           source: str) -> list[int]:
    """Responses (checked by the response form: ``cleans``) and their answers, in two batches of the unit ``u``."""
    heads = [{"survey_id": int(survey_id), "project_id": int(project_id), "response_date": c["response_date"],
              "community": c["community"], "respondent_group": c.get("respondent_group"), "source": source}
             for c in cleans]
    keys = u.create_many(RESPONSE, heads)  # validated as one batch
    answers = [{**a, "response_id": k} for k, c in zip(keys, cleans) for a in _answers(qs, c)]
    if answers:
        u.create_many(ANSWER, answers, validated=True)
    return keys


def add_response(project_id: int, values: dict, actor: Actor, *, survey_id: int | None = None, db=None) -> int:
    """One respondent's answers to the project's survey (or ``survey_id``), entered by staff; returns its id."""
    db = db or get_db()
    _project(project_id, db)
    sid = survey_id or survey_for_project(project_id, db)
    if sid is None:
        raise ValidationFailed(form=["还没有满意度问卷:请先在「问卷管理」中建立问卷"])
    if survey_id is not None and not db.scalar(  # an instrument of the project's hub only
            "SELECT count(*) FROM surveys s, projects p JOIN applications a ON a.id = p.application_id"
            " JOIN rounds r ON r.id = a.round_id WHERE s.id = ? AND p.id = ? AND s.hub_id = r.hub_id",
            [int(survey_id), int(project_id)]):
        raise NotFound(f"满意度问卷(编号 {survey_id})不存在")
    qs = questions(sid, db)
    clean = validate(response_schema(qs), values)
    with records.unit(actor, db) as u:
        return write_responses(u, project_id, sid, qs, [clean], ENTERED)[0]


def import_spec(project_id: int, db=None) -> ImportSpec:
    """The Excel sheet of the project's survey: 填写日期, 受访者社区, 受访人群, then one column per question (headed
    「序号. 题目」). Anonymous rows are never matched as 已存在 (two respondents may answer alike), so a sheet is
    imported whole or not at all (``whole_file``: while a row has an error, no row is imported); the same sheet uploaded
    again (every form already among the project's imported ones) is refused by :func:`import_responses`."""
    db = db or get_db()
    sid = survey_for_project(project_id, db)
    if sid is None:
        raise ValidationFailed(form=["还没有满意度问卷:请先在「问卷管理」中建立问卷"])
    qs = questions(sid, db)
    schema = response_schema(qs)
    example = {"response_date": dt.date(2026, 3, 1), "community": "文海社区", "respondent_group": "一老一小"}
    for q in qs:
        example[answer_field(q["id"])] = {SCALE: 5, YESNO: YES, TEXT: "希望活动再多一些"}[q["kind"]]
    return ImportSpec(entity=RESPONSE, fields=tuple(schema.columns), schema=schema, example=example,
                      find_existing=lambda rows: {}, row_key=lambda rec: (id(rec),), whole_file=True,
                      context={"survey_id": sid, "project_id": int(project_id)})


def import_responses(spec: ImportSpec, plan: ImportPlan, actor: Actor, db=None) -> int:
    """Write a checked sheet's valid rows (responses and their answers) in one transaction; returns how many."""
    if any(r.status == "错误" for r in plan.report):
        raise ValidationFailed(form=["文件中还有错误行:请改正后重新上传整份文件,再导入(未写入任何数据)"])
    if not plan.valid:
        return 0
    db = db or get_db()
    sid, pid = spec.context["survey_id"], spec.context["project_id"]
    qs = questions(sid, db)
    with records.unit(actor, db) as u:
        keys = write_responses(u, pid, sid, qs, plan.valid, IMPORTED)  # (who may write is checked here, first)
        _refuse_a_sheet_imported_before(u.tx, pid, sid, qs, plan.valid, keys)  # refused: the unit writes nothing
    return len(plan.valid)


def _signature(date, community, group, answers) -> tuple:
    """What a paper form says: its date, community, group and every answer (question, score or text)."""
    return (str(date), community or "", group or "",
            tuple(sorted((int(a["question_id"]), a["score"] if a["score"] is None else int(a["score"]),
                          a["answer_text"] or "") for a in answers)))


def _refuse_a_sheet_imported_before(db, project_id: int, survey_id: int, qs: list[dict], cleans: list[dict],
                                    new: list[int]) -> None:
    """Anonymous rows cannot be matched one by one (two respondents may answer alike), but a sheet whose every row is
    already among the project's imported responses — the same paper forms — is the same sheet uploaded again:
    refused, so the results do not count it twice. Checked inside the import's transaction."""
    heads = db.fetch_all("SELECT id, response_date, community, respondent_group FROM survey_responses"
                         " WHERE project_id = ? AND survey_id = ? AND source = ?", [int(project_id), int(survey_id), IMPORTED])
    fresh = {int(k) for k in new}
    heads = [h for h in heads if int(h["id"]) not in fresh]  # the sheet's own rows, just written in this transaction
    if not heads:
        return
    answers: dict[int, list[dict]] = {}
    for a in db.fetch_all("SELECT a.response_id, a.question_id, a.score, a.answer_text FROM survey_answers a"
                          " JOIN survey_responses r ON r.id = a.response_id"
                          " WHERE r.project_id = ? AND r.survey_id = ? AND r.source = ?",
                          [int(project_id), int(survey_id), IMPORTED]):
        answers.setdefault(int(a["response_id"]), []).append(a)
    stored = Counter(_signature(h["response_date"], h["community"], h["respondent_group"], answers.get(int(h["id"]), []))
                     for h in heads)
    sheet = Counter(_signature(c["response_date"], c["community"], c.get("respondent_group"), _answers(qs, c))
                    for c in cleans)
    if sheet and not (sheet - stored):
        raise ValidationFailed(form=[f"这份文件的 {sum(sheet.values())} 份答卷已全部导入过(日期、社区、人群和每题答案都相同),"
                                     "未再次导入:请检查是否重复上传;如确为新的答卷,请核对文件内容"])


RESPONSE_COLUMNS = columns("id", "response_date", "community", "respondent_group", "source", "avg_score",
                           of=SurveyResponse, computed={"avg_score": number("平均分")})


def responses(project_id: int, db=None) -> pd.DataFrame:
    """The project's responses, newest first, each with the mean of its 1–5 answers (none of a project the reader's
    hubs do not hold)."""
    params: list = [SCALE, int(project_id)]
    mine = hub_scope.projects_within("r.project_id", params)
    return (db or get_db()).fetch_df(
        "SELECT r.id, r.response_date, r.community, r.respondent_group, r.source,"
        " round(avg(CASE WHEN q.kind = ? THEN a.score END), 2) AS avg_score"
        " FROM survey_responses r LEFT JOIN survey_answers a ON a.response_id = r.id"
        f" LEFT JOIN survey_questions q ON q.id = a.question_id WHERE r.project_id = ? AND {mine}"
        " GROUP BY r.id, r.response_date, r.community, r.respondent_group, r.source"
        " ORDER BY r.response_date DESC, r.id DESC", params)


# ---- results -----------------------------------------------------------------------------------------
AVG, SATISFIED = number("平均分"), ratio("满意率")
QUESTION_COLUMNS = columns("seq", "text", "kind", "category", "answers", "avg_score", "satisfied", "yes_share",
                           of=SurveyQuestion, computed={"seq": "题号", "answers": number("回答数"), "avg_score": AVG,
                                                        "satisfied": SATISFIED, "yes_share": ratio("回答「是」的比例")})
CATEGORY_COLUMNS = columns("category", "projects", "responses", "answers", "avg_score", "satisfied",
                           of=SurveyQuestion, computed={"projects": number("项目数"), "responses": number("答卷数"),
                                                        "answers": number("回答数"), "avg_score": AVG,
                                                        "satisfied": SATISFIED})
PROJECT_COLUMNS = columns("agreement_no", "title", "org", "responses", "avg_score", "satisfied",
                          computed={**projects.COLUMNS.pick("agreement_no", "title", "org"),
                                    "responses": number("答卷数"), "avg_score": AVG, "satisfied": SATISFIED})
TEXT_COLUMNS = columns("response_date", "community", "text", "answer_text", of=(SurveyResponse, SurveyQuestion,
                                                                                  SurveyAnswer))

_SHARE = f"avg(CASE WHEN a.score >= {SATISFIED_FROM} THEN 1.0 ELSE 0.0 END)"


def _years(year_from: int | None, year_to: int | None) -> tuple[str, list]:
    where, params = "", []
    if year_from is not None:
        where += " AND year(r.response_date) >= ?"
        params.append(int(year_from))
    if year_to is not None:
        where += " AND year(r.response_date) <= ?"
        params.append(int(year_to))
    return where, params


def question_results(project_id: int, db=None) -> pd.DataFrame:
    """Per question of the project's answers: seq, text, kind, category, answers, avg_score and satisfied (1–5
    questions), yes_share (是否 questions); in the instrument's order."""
    db = db or get_db()

    def load() -> pd.DataFrame:
        return db.fetch_df(
            "SELECT q.survey_id, q.seq, q.text, q.kind, q.category, count(a.id) AS answers,"
            " CASE WHEN q.kind = ? THEN round(avg(a.score), 2) END AS avg_score,"
            f" CASE WHEN q.kind = ? THEN {_SHARE} END AS satisfied,"
            " CASE WHEN q.kind = ? THEN avg(a.score) END AS yes_share"
            " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
            " JOIN survey_questions q ON q.id = a.question_id WHERE r.project_id = ?"
            " GROUP BY q.survey_id, q.id, q.seq, q.text, q.kind, q.category ORDER BY q.survey_id DESC, q.seq",
            [SCALE, SCALE, YESNO, int(project_id)])

    return cache.cached("surveys:questions", int(project_id), TABLES, load, db)


def category_results(project_id: int, db=None) -> pd.DataFrame:
    """The project's 1–5 answers per satisfaction category: category, projects, responses, answers, avg_score,
    satisfied."""
    db = db or get_db()
    return cache.cached("surveys:categories", int(project_id), TABLES,
                        lambda: db.fetch_df(_CATEGORY_SQL.format(where=" AND r.project_id = ?"),
                                            [SCALE, int(project_id)]), db)


_CATEGORY_SQL = (
    "SELECT q.category, count(DISTINCT r.project_id) AS projects, count(DISTINCT r.id) AS responses,"
    " count(*) AS answers, round(avg(a.score), 2) AS avg_score, " + _SHARE + " AS satisfied"
    " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
    " JOIN survey_questions q ON q.id = a.question_id WHERE q.kind = ?{where}"
    " GROUP BY q.category ORDER BY min(q.seq), q.category")


def _years_hubs(year_from: int | None, year_to: int | None, hubs) -> tuple[str, list]:
    """:func:`_years` and the responses' projects of ``hubs`` (:mod:`core.resources.hubs`)."""
    where, params = _years(year_from, year_to)
    return where + " AND " + hub_scope.projects_within("r.project_id", params, hubs), params


def satisfaction_by_category(db=None, year_from: int | None = None, year_to: int | None = None,
                             hubs=READER) -> pd.DataFrame:
    """Every project's 1–5 answers per satisfaction category (responses dated in ``year_from``..``year_to``, of the
    projects of ``hubs``): category, projects, responses, answers, avg_score, satisfied (share of 4–5, 0–1). For
    the dashboards."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    where, params = _years_hubs(year_from, year_to, kept)
    return cache.cached("surveys:by_category", (year_from, year_to, kept), TABLES,
                        lambda: db.fetch_df(_CATEGORY_SQL.format(where=where), [SCALE, *params]), db)


def project_results(db=None, year_from: int | None = None, year_to: int | None = None, hubs=READER) -> pd.DataFrame:
    """Per surveyed project (of ``hubs``): project_id, agreement_no, title, org, responses, avg_score, satisfied
    (1–5 answers), lowest satisfaction first. For the dashboards and the results screen."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)
    where, params = _years_hubs(year_from, year_to, kept)

    def load() -> pd.DataFrame:
        return db.fetch_df(
            "SELECT p.id AS project_id, p.agreement_no, ap.title, o.name AS org, count(DISTINCT r.id) AS responses,"
            f" round(avg(a.score), 2) AS avg_score, {_SHARE} AS satisfied"
            " FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id"
            " JOIN survey_questions q ON q.id = a.question_id AND q.kind = ?"
            " JOIN projects p ON p.id = r.project_id JOIN applications ap ON ap.id = p.application_id"
            f" LEFT JOIN organisations o ON o.id = ap.org_id WHERE 1 = 1{where}"
            " GROUP BY p.id, p.agreement_no, ap.title, o.name ORDER BY satisfied, p.agreement_no", [SCALE, *params])

    return cache.cached("surveys:projects", (year_from, year_to, kept), _RESULT_TABLES, load, db)


def project_satisfaction(project_id: int, db=None) -> dict:
    """The project's survey at a glance: responses, answers (1–5), avg_score, satisfied (share of 4–5, 0–1; None
    without answers), first and last response dates. For the dashboards and the evaluation form."""
    db = db or get_db()

    def load() -> dict:
        return db.fetch_one(
            "SELECT (SELECT count(*) FROM survey_responses WHERE project_id = ?) AS responses,"
            " count(a.id) AS answers, round(avg(a.score), 2) AS avg_score,"
            f" CASE WHEN count(a.id) > 0 THEN {_SHARE} END AS satisfied,"
            " (SELECT min(response_date) FROM survey_responses WHERE project_id = ?) AS first_date,"
            " (SELECT max(response_date) FROM survey_responses WHERE project_id = ?) AS last_date"
            " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
            " JOIN survey_questions q ON q.id = a.question_id WHERE r.project_id = ? AND q.kind = ?",
            [int(project_id)] * 4 + [SCALE])

    return dict(cache.cached("surveys:project", int(project_id), TABLES, load, db))


def text_answers(project_id: int, db=None) -> pd.DataFrame:
    """The project's written answers (意见建议), newest first."""
    params: list = [int(project_id)]
    mine = hub_scope.projects_within("r.project_id", params)
    return (db or get_db()).fetch_df(
        "SELECT r.response_date, r.community, q.text, a.answer_text FROM survey_answers a"
        " JOIN survey_responses r ON r.id = a.response_id JOIN survey_questions q ON q.id = a.question_id"
        f" WHERE r.project_id = ? AND a.answer_text IS NOT NULL AND {mine} ORDER BY r.response_date DESC, a.id DESC",
        params)


def summary(db=None, hubs=READER) -> dict:
    """The surveys at a glance (of ``hubs``): instruments, surveyed projects, responses, the overall 满意率 (0–1 or
    None)."""
    db = db or get_db()
    kept = hub_scope.keep(hubs)

    def load() -> dict:
        params: list = []
        own = hub_scope.within("hub_id", params, kept)
        surveyed = hub_scope.projects_within("project_id", params, kept)
        answered = hub_scope.projects_within("project_id", params, kept)
        params.append(SCALE)
        shared = hub_scope.projects_within("r.project_id", params, kept)
        return db.fetch_one(
            f"SELECT (SELECT count(*) FROM surveys WHERE {own}) AS surveys,"
            f" (SELECT count(DISTINCT project_id) FROM survey_responses WHERE {surveyed}) AS projects,"
            f" (SELECT count(*) FROM survey_responses WHERE {answered}) AS responses,"
            f" (SELECT {_SHARE} FROM survey_answers a JOIN survey_questions q ON q.id = a.question_id"
            f"   JOIN survey_responses r ON r.id = a.response_id WHERE q.kind = ? AND {shared}) AS satisfied", params)

    return dict(cache.cached("surveys:summary", kept, TABLES, load, db))


def share_text(value) -> str:
    """0.9234 -> 92.3%; empty -> —."""
    return "—" if value is None or value != value else f"{float(value) * 100:.1f}%"


# ---- the evaluation item satisfaction feeds ----------------------------------------------------------------
def suggestion(project_id: int, policy: monitoring_policy.Policy | None = None, db=None) -> dict | None:
    """What the project's survey suggests for the evaluation item satisfaction feeds: field, item, points,
    responses, satisfied, score (= points × satisfied, rounded to 0.1; None without answers) and ``text``, the
    result and the formula as the evaluation form states them. When the round's scoring form has no such item: None
    without answers, else the same keys with ``field`` None and a ``text`` saying why nothing is suggested."""
    db = db or get_db()
    policy = policy or monitoring_policy.policy_for_project(project_id, db)
    fed = evaluations.satisfaction_field(policy)
    s = project_satisfaction(project_id, db)
    if fed is None:  # a round whose form renamed or dropped the item: said when there are answers, never silently
        if not s["responses"]:
            return None
        return {"field": None, "item": None, "points": None, "responses": int(s["responses"]),
                "satisfied": s["satisfied"], "score": None,
                "text": (f"居民满意度调查:该项目有 {int(s['responses'])} 份答卷,满意率 {share_text(s['satisfied'])};"
                         f"本批次的评估表没有「{SATISFACTION_ITEM}」评分项,因此不预填建议得分。"
                         f"如需预填,请管理员在「监管规则」中把相应评分项命名为「{SATISFACTION_ITEM}」。")}
    field, item, points = fed
    out = {"field": field, "item": item, "points": points, "responses": int(s["responses"] or 0),
           "satisfied": s["satisfied"], "score": None}
    if s["satisfied"] is None:
        out["text"] = (f"居民满意度调查:该项目还没有满意度答卷,「{item}」没有建议得分。"
                       "可在「居民满意度调查」中录入或从Excel导入答卷。")
        return out
    out["score"] = round(points * float(s["satisfied"]), 1)
    out["text"] = (f"居民满意度调查:{out['responses']} 份答卷,满意率 {share_text(s['satisfied'])}"
                   f"(1–5分题中答 4 分或 5 分的比例),平均分 {float(s['avg_score']):.2f}。"
                   f"「{item}」建议得分 = 满分 {points:g} × 满意率 {share_text(s['satisfied'])} = {out['score']:g} 分"
                   "(已预填,可修改)。")
    return out


def evaluation_form(project_id: int, policy: monitoring_policy.Policy, db=None):
    """The evaluation form of the project (:func:`core.monitoring.evaluations.form_schema`) with the survey result
    as the help of the item satisfaction feeds; and the :func:`suggestion` (None: no such item)."""
    schema = evaluations.form_schema(policy)
    s = suggestion(project_id, policy, db)
    if s is not None and s["field"] is not None:
        meta = dict(schema.columns[s["field"]].metadata or {})
        meta["help"] = s["text"]
        schema = schema.update_columns({s["field"]: {"metadata": meta}})
    return schema, s
