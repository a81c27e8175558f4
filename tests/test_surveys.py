"""居民满意度调查 (core.resources.surveys): instruments declared as question rows (checked, frozen once answered, chosen
per project > round > standard), responses entered and imported from Excel (row refusals write nothing), the results
(满意率 = share of 4–5 answers, per question, category and project), the suggested score of the evaluation item
satisfaction feeds (item max × 满意率), the evaluating parties on evaluations, and the demo loader's figures."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.demo import res_surveys as demo
from core.monitoring import evaluations, monitoring_policy
from core.platform import importer
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import surveys as sv
from schemas.monitoring import SATISFACTION_ITEM
from schemas.survey import SCALE, STANDARD_QUESTIONS, TEXT, YESNO, answer_field

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()


def _count(db, table: str, where: str = "", params=None) -> int:
    return db.scalar(f"SELECT count(*) FROM {table} {where}", params)


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (exc.value.fields or {}).values() for m in ms)


def _active(db) -> dict:
    """A running project (no survey answers in the demo) with its first community and round."""
    return db.fetch_one("SELECT p.id, p.communities[1] AS community, a.round_id FROM projects p"
                        " JOIN applications a ON a.id = p.application_id WHERE p.state = 'active' ORDER BY p.id LIMIT 1")


def _answers(qs: list[dict], scale, yes="是", text=None, **head) -> dict:
    values = {"response_date": TODAY, "community": "文海社区", "respondent_group": None, **head}
    for q in qs:
        values[answer_field(q["id"])] = {SCALE: scale, YESNO: yes, TEXT: text}[q["kind"]]
    return values


def _rows(n: int = 3) -> list[dict]:
    return [{"text": f"测试题目{i}", "kind": SCALE, "category": "服务内容", "required": True} for i in range(1, n + 1)]


# ---- instruments ----------------------------------------------------------------------------------------
def test_the_standard_questionnaire_and_which_survey_a_project_uses(demo_db):
    std = sv.ensure_standard(db=demo_db)
    assert sv.ensure_standard(db=demo_db) == std  # once
    s = sv.survey(std)
    assert [(q["text"], q["kind"], q["category"], q["required"]) for q in s["questions"]] == list(STANDARD_QUESTIONS)
    p = _active(demo_db)
    assert sv.survey_for_project(p["id"]) == std
    by_round = sv.create_survey({"name": "本批次问卷", "round_id": p["round_id"]}, _rows(), STAFF)
    assert sv.survey_for_project(p["id"]) == by_round
    own = sv.create_survey({"name": "本项目问卷", "project_id": p["id"]}, _rows(2), STAFF)
    assert sv.survey_for_project(p["id"]) == own
    other = demo_db.scalar("SELECT min(id) FROM projects WHERE id <> ? AND state = 'closed'", [p["id"]])
    assert sv.survey_for_project(other) == std
    listed = sv.surveys().set_index("id")
    assert listed.loc[own, "scope"].startswith("项目:") and listed.loc[by_round, "scope"].startswith("批次:")
    assert listed.loc[std, "scope"] == "标准问卷(所有项目)" and listed.loc[own, "questions"] == 2


def test_a_questionnaire_is_refused_in_chinese_when_its_rows_are_wrong_and_nothing_is_written(demo_db):
    before = _count(demo_db, "surveys"), _count(demo_db, "survey_questions"), _count(demo_db, "audit_log")
    for rows, says in (([], "问卷至少需要一道题目"),
                       (_rows(1) + _rows(1), "题目「测试题目1」重复"),
                       ([{"text": "有什么建议", "kind": TEXT, "category": "总体评价", "required": False}],
                        f"问卷至少需要一道「{SCALE}」题"),
                       ([{"text": "题", "kind": SCALE, "category": "服务内容"}], "第1行"),
                       ([{"text": "您满意吗", "kind": "打分", "category": "服务内容"}], "第1行")):
        with pytest.raises(ValidationFailed) as exc:
            sv.create_survey({"name": "错误问卷"}, rows, STAFF)
        assert says in _messages(exc), _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        sv.create_survey({"name": "两个范围", "round_id": 1, "project_id": _active(demo_db)["id"]}, _rows(), STAFF)
    assert "一份问卷只能适用于一个批次或一个项目" in _messages(exc)
    with pytest.raises(PermissionDenied):
        sv.create_survey({"name": "领导问卷"}, _rows(), LEADER)
    assert (_count(demo_db, "surveys"), _count(demo_db, "survey_questions"), _count(demo_db, "audit_log")) == before


def test_questions_change_until_the_first_response_then_they_are_frozen(demo_db):
    p = _active(demo_db)
    sid = sv.create_survey({"name": "可修改问卷", "project_id": p["id"]}, _rows(2), STAFF)
    assert sv.save_survey(sid, {"name": "可修改问卷"}, _rows(3), STAFF)
    assert [q["text"] for q in sv.questions(sid)] == ["测试题目1", "测试题目2", "测试题目3"]
    sv.add_response(p["id"], _answers(sv.questions(sid), 5), STAFF)
    questions = demo_db.fetch_all("SELECT * FROM survey_questions WHERE survey_id = ? ORDER BY id", [sid])
    with pytest.raises(ValidationFailed) as exc:
        sv.save_survey(sid, {"name": "改名"}, _rows(1), STAFF)
    assert "已有 1 份答卷,题目已固定" in _messages(exc)
    assert demo_db.fetch_one("SELECT name FROM surveys WHERE id = ?", [sid])["name"] == "可修改问卷"  # nothing written
    assert demo_db.fetch_all("SELECT * FROM survey_questions WHERE survey_id = ? ORDER BY id", [sid]) == questions
    assert sv.save_survey(sid, {"name": "改名后的问卷"}, None, STAFF)  # the name may still change
    assert sv.save_survey(sid, {"name": "改名后的问卷"}, sv.question_rows(sid), STAFF) is False  # same questions


# ---- responses -------------------------------------------------------------------------------------------
def test_a_response_is_stored_with_its_answers_and_a_missing_required_answer_is_refused(demo_db):
    p = _active(demo_db)
    qs = sv.questions(sv.survey_for_project(p["id"]))
    before = _count(demo_db, "survey_responses"), _count(demo_db, "survey_answers"), _count(demo_db, "audit_log")
    missing = _answers(qs, 5)
    missing[answer_field(qs[2]["id"])] = None
    with pytest.raises(ValidationFailed) as exc:
        sv.add_response(p["id"], missing, STAFF)
    assert qs[2]["text"] in " ".join(exc.value.fields[answer_field(qs[2]["id"])])
    with pytest.raises(ValidationFailed) as exc:
        sv.add_response(p["id"], _answers(qs, 5, response_date=TODAY + dt.timedelta(days=3)), STAFF)
    assert "response_date" in exc.value.fields
    with pytest.raises(PermissionDenied):
        sv.add_response(p["id"], _answers(qs, 5), LEADER)
    assert (_count(demo_db, "survey_responses"), _count(demo_db, "survey_answers"),
            _count(demo_db, "audit_log")) == before
    values = _answers(qs, "满意", yes="否", text="希望周末也开放", respondent_group="一老一小")
    rid = sv.add_response(p["id"], values, STAFF)
    row = demo_db.fetch_one("SELECT * FROM survey_responses WHERE id = ?", [rid])
    assert (row["project_id"], row["community"], row["respondent_group"], row["source"]) == \
        (p["id"], "文海社区", "一老一小", "人工录入")
    stored = {a["question_id"]: (a["score"], a["answer_text"]) for a in demo_db.fetch_all(
        "SELECT question_id, score, answer_text FROM survey_answers WHERE response_id = ?", [rid])}
    assert stored == {q["id"]: {SCALE: (4, None), YESNO: (0, None), TEXT: (None, "希望周末也开放")}[q["kind"]]
                      for q in qs}


def _sheet(spec, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    for r in rows:
        wb[importer.DATA_SHEET].append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_excel_sheet_of_paper_forms_imports_whole_and_a_wrong_row_keeps_the_file_and_writes_nothing(demo_db):
    p = _active(demo_db)
    spec = sv.import_spec(p["id"])
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    headers = [c.value for c in wb[importer.DATA_SHEET][1]]
    qs = sv.questions(sv.survey_for_project(p["id"]))
    assert headers == ["填写日期*", "受访者社区*", "受访人群"] + [
        f"{q['seq']}. {q['text']}" + ("*" if q["required"] else "") for q in qs]
    day = (TODAY - dt.timedelta(days=1)).isoformat()
    good = [day, "文海社区", "一老一小", 5, 5, "满意", 4, 5, 5, 4, 5, "非常满意", "是", "活动很好"]
    bad = [day, "文海社区", None, 5, 9, 5, 5, 5, 5, 5, 5, 5, "也许", None]
    before = _count(demo_db, "survey_responses"), _count(demo_db, "survey_answers")
    plan = importer.plan(spec, _sheet(spec, [good, bad, good]))
    # the whole file or nothing: the good rows wait for the bad one (anonymous rows cannot be matched on a re-upload)
    assert [(r.row_number, r.status) for r in plan.report if r.status != "错误"] == [(2, "待改正"), (4, "待改正")]
    assert plan.valid == [] and plan.counts.get("有效", 0) == 0
    wrong = [r for r in plan.report if r.row_number == 3]
    assert {r.field for r in wrong} == {f"2. {qs[1]['text']}", f"10. {qs[9]['text']}"}
    assert any("1到5" in r.message for r in wrong) and any("请从列表中选择" in r.message for r in wrong)
    with pytest.raises(ValidationFailed) as exc:
        sv.import_responses(spec, plan, STAFF)
    assert "文件中还有错误行" in _messages(exc)
    assert (_count(demo_db, "survey_responses"), _count(demo_db, "survey_answers")) == before  # nothing written
    # corrected: identical rows are two respondents, not duplicates
    plan = importer.plan(spec, _sheet(spec, [good, good]))
    assert [(r.row_number, r.status) for r in plan.report] == [(2, "有效"), (3, "有效")]
    assert sv.import_responses(spec, plan, STAFF) == 2
    assert _count(demo_db, "survey_responses", "WHERE project_id = ? AND source = 'Excel导入'", [p["id"]]) == 2
    assert _count(demo_db, "survey_answers") == before[1] + 2 * 11
    s = sv.project_satisfaction(p["id"])
    assert s["responses"] == 2 and s["satisfied"] == 1.0 and s["avg_score"] == pytest.approx(42 / 9, abs=0.01)
    with pytest.raises(PermissionDenied):
        sv.import_responses(spec, plan, LEADER)
    # the same sheet uploaded again is refused in Chinese (every form already imported), and writes nothing
    counts = _count(demo_db, "survey_responses"), _count(demo_db, "survey_answers"), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        sv.import_responses(spec, importer.plan(spec, _sheet(spec, [good, good])), STAFF)
    assert "已全部导入过" in _messages(exc) and "2 份答卷" in _messages(exc)
    assert (_count(demo_db, "survey_responses"), _count(demo_db, "survey_answers"), _count(demo_db, "audit_log")) == counts
    # a sheet with a new form beside a known one is new paper: imported
    other = [day, "文海社区", "一老一小", 3, 3, "一般", 3, 3, 3, 3, 3, "一般", "否", None]
    assert sv.import_responses(spec, importer.plan(spec, _sheet(spec, [good, other])), STAFF) == 2
    assert _count(demo_db, "survey_responses", "WHERE project_id = ? AND source = 'Excel导入'", [p["id"]]) == 4


# ---- results ------------------------------------------------------------------------------------------------
def test_the_results_count_the_share_of_4_and_5_answers_per_question_category_and_project(demo_db):
    p = _active(demo_db)
    sid = sv.create_survey({"name": "两题问卷", "project_id": p["id"]},
                           [{"text": "服务内容满意吗", "kind": SCALE, "category": "服务内容", "required": True},
                            {"text": "态度满意吗", "kind": SCALE, "category": "服务态度", "required": True},
                            {"text": "愿意推荐吗", "kind": YESNO, "category": "总体评价", "required": True}], STAFF)
    qs = sv.questions(sid)
    for content, attitude, yes in ((5, 5, "是"), (4, 5, "是"), (3, 4, "否"), (2, 5, "是")):
        sv.add_response(p["id"], {"response_date": TODAY, "community": "文海社区", answer_field(qs[0]["id"]): content,
                                  answer_field(qs[1]["id"]): attitude, answer_field(qs[2]["id"]): yes}, STAFF)
    by_q = sv.question_results(p["id"]).set_index("text")
    assert by_q.loc["服务内容满意吗", "satisfied"] == 0.5 and by_q.loc["服务内容满意吗", "avg_score"] == 3.5
    assert by_q.loc["态度满意吗", "satisfied"] == 1.0 and by_q.loc["愿意推荐吗", "yes_share"] == 0.75
    assert int(by_q.loc["服务内容满意吗", "answers"]) == 4
    by_c = sv.category_results(p["id"]).set_index("category")
    assert list(by_c.index) == ["服务内容", "服务态度"] and by_c.loc["服务态度", "avg_score"] == 4.75
    s = sv.project_satisfaction(p["id"])
    assert (s["responses"], s["answers"], s["satisfied"]) == (4, 8, 0.75)
    row = sv.project_results().set_index("project_id").loc[p["id"]]
    assert (row["responses"], row["satisfied"]) == (4, 0.75)
    # the cached category table of every project sees the new answers (the write cleared it)
    year = TODAY.year
    only_now = sv.satisfaction_by_category(year_from=year, year_to=year).set_index("category")
    assert only_now.loc["服务态度", "answers"] == 4 and only_now.loc["服务态度", "projects"] == 1


def test_the_suggested_score_is_the_items_maximum_times_the_satisfaction_share(demo_db):
    p = _active(demo_db)
    policy = monitoring_policy.policy_for_project(p["id"])
    assert evaluations.satisfaction_field(policy) == ("score_2", SATISFACTION_ITEM, 25.0)
    empty = sv.suggestion(p["id"])
    assert empty["score"] is None and "还没有满意度答卷" in empty["text"]
    qs = sv.questions(sv.survey_for_project(p["id"]))
    for scale in (5, 5, 4, 2):  # 9 scale questions each: 27 of 36 answers are 4–5
        sv.add_response(p["id"], _answers(qs, scale), STAFF)
    s = sv.suggestion(p["id"])
    assert s["satisfied"] == 0.75 and s["score"] == 18.8  # 25 × 75% = 18.75 -> 18.8
    assert "建议得分 = 满分 25 × 满意率 75.0% = 18.8 分" in s["text"] and "4 份答卷" in s["text"]
    schema, fed = sv.evaluation_form(p["id"], policy)
    assert fed["field"] == "score_2" and schema.columns["score_2"].metadata["help"] == s["text"]
    assert schema.columns["score_2"].metadata["label"] == f"{SATISFACTION_ITEM}(满分25)"
    # a round whose scoring form has no such item (renamed 服务满意) gets no suggested score, and is told why
    other = monitoring_policy.Policy(**{**policy.__dict__, "eval_form": (("目标完成情况", 60.0), ("服务满意", 40.0))})
    assert evaluations.satisfaction_field(other) is None
    told = sv.suggestion(p["id"], other)
    assert told["field"] is None and told["score"] is None
    assert "4 份答卷,满意率 75.0%" in told["text"] and f"没有「{SATISFACTION_ITEM}」评分项" in told["text"]
    assert "监管规则" in told["text"]
    schema, fed = sv.evaluation_form(p["id"], other)
    assert fed == told and all("help" not in (c.metadata or {}) or c.metadata["help"] != told["text"]
                               for c in schema.columns.values())


# ---- evaluating parties ------------------------------------------------------------------------------------
def _final(db, pid: int, **over) -> dict:
    values = {"report_date": None, "self_report": None, "eval_date": TODAY, "method": "实地", "evaluator": "第三方评估组",
              "conclusion": "项目执行规范,居民满意", "fail_action": None, "recover_amount": None,
              "score_1": 28, "score_2": 22, "score_3": 18, "score_4": 13, "score_5": 9}
    values.update(over)
    return values


def test_an_evaluation_names_its_evaluating_organisation_and_expert_and_the_project_file_shows_them(demo_db):
    p = _active(demo_db)
    partner = demo_db.fetch_one("SELECT id, name FROM partners ORDER BY id LIMIT 1")
    org = demo_db.fetch_one("SELECT id, name FROM organisations WHERE active ORDER BY id LIMIT 1")
    expert = demo_db.fetch_one("SELECT username, name FROM users WHERE active AND list_contains(roles, 'reviewer')"
                               " ORDER BY username LIMIT 1")
    before = _count(demo_db, "evaluations")
    with pytest.raises(ValidationFailed) as exc:
        evaluations.record(p["id"], "final", _final(demo_db, p["id"], evaluator_org_id=org["id"],
                                                    evaluator_partner_id=partner["id"]), STAFF)
    assert "评估机构只选一个" in _messages(exc) and _count(demo_db, "evaluations") == before
    eid = evaluations.record(p["id"], "final", _final(demo_db, p["id"], evaluator_partner_id=partner["id"],
                                                      evaluator_expert=expert["username"]), STAFF)
    row = demo_db.fetch_one("SELECT * FROM evaluations WHERE id = ?", [eid])
    assert (row["evaluator"], row["evaluator_partner_id"], row["evaluator_org_id"], row["evaluator_expert"]) == \
        ("第三方评估组", partner["id"], None, expert["username"])
    listed = evaluations.evaluations(p["id"]).set_index("id")
    assert listed.loc[eid, "party"] == f"{partner['name']};专家 {expert['name']}"
    assert listed.drop(index=eid)["party"].isna().all()  # the older evaluations keep only their text
    assert listed.loc[eid, "evaluator"] == "第三方评估组"


# ---- demo data -----------------------------------------------------------------------------------------------
def test_the_demo_surveys_every_closed_project_plausibly_and_a_second_run_adds_nothing(demo_db):
    closed = _count(demo_db, "projects", "WHERE state = 'closed'")
    per = sv.project_results()
    assert len(per) == closed and per["responses"].between(15, 40).all()
    assert per["satisfied"].between(0.85, 0.98).all()
    assert not _count(demo_db, "survey_responses r JOIN projects p ON p.id = r.project_id", "WHERE p.state <> 'closed'")
    cats = sv.satisfaction_by_category().set_index("category")
    assert set(cats.index) == {"服务内容", "服务态度", "服务效果", "环境与组织", "总体评价"}
    assert cats.loc["服务态度", "satisfied"] > cats.loc["环境与组织", "satisfied"]
    counts = {t: _count(demo_db, t) for t in sv.TABLES}
    assert demo.load(demo_db) == {"survey_responses": 0, "survey_answers": 0}
    assert {t: _count(demo_db, t) for t in sv.TABLES} == counts


def _demo_rows(db) -> list[tuple]:
    return [tuple(r.values()) for r in db.fetch_all(
        "SELECT r.project_id, r.response_date, r.community, r.respondent_group, q.seq, a.score, a.answer_text"
        " FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
        " JOIN survey_questions q ON q.id = a.question_id ORDER BY r.id, q.seq")]


def test_the_demo_loader_is_deterministic(demo_db):
    first = _demo_rows(demo_db)
    with demo_db.transaction() as tx:  # undo the loader's rows, then run it again
        for table in ("survey_answers", "survey_responses"):
            tx.execute(f"DELETE FROM {table}")
            tx.touch(table)
    counts = demo.load(demo_db)
    assert counts == {"survey_responses": _count(demo_db, "survey_responses"), "survey_answers": len(first)}
    assert _demo_rows(demo_db) == first
