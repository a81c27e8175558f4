"""AppTest: 居民满意度调查 (pages/res_surveys.py) per role — staff see the results per category and per project and a
project's results per question, enter a response (a missing required answer is refused in Chinese, keeps the input,
writes nothing), keep questionnaires (frozen once answered); leaders read the results only; the project file's
evaluation form shows the survey's suggested score prefilled and saves it, and its list names the evaluating party."""
from __future__ import annotations

import datetime as dt

import pytest

from core.platform.actor import Actor
from core.resources import surveys as sv
from schemas.survey import SCALE, TEXT, YESNO, answer_field
from tests.apptest_helpers import count, db, errors, open_page, plain_texts, screen_as, signed_in, successes

URL, READ_URL = "satisfaction-surveys", "satisfaction-overview"
STAFF = Actor("staff", ("staff",))
TODAY = dt.date.today()


@pytest.fixture
def loaded(demo_db):
    """The demo database: its template holds the standard questionnaire and the closed projects' responses."""
    assert count("survey_responses") and count("surveys")
    return demo_db


def _open(user: str, roles: list[str], url: str = URL, **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = str(v)
    return open_page(at, url)


def _active() -> int:
    return db().scalar("SELECT min(id) FROM projects WHERE state = 'active'")


def _no_none(at) -> None:
    for df in at.dataframe:
        assert not (df.value.astype(str).isin(["None", "nan", "<NA>"])).any().any()


def test_staff_see_the_results_per_category_and_per_project(loaded):
    at = _open("staff", ["staff"])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["居民满意度调查"]
    assert [t.label for t in at.tabs] == ["满意度结果", "录入答卷", "Excel导入", "问卷管理"]
    cats = at.dataframe[0].value
    assert list(cats.columns) == ["满意度类别", "项目数", "答卷数", "回答数", "平均分", "满意率"]
    assert set(cats["满意度类别"]) == {"服务内容", "服务态度", "服务效果", "环境与组织", "总体评价"}
    assert all(str(v).endswith("%") for v in cats["满意率"])
    per = at.dataframe[1].value
    assert list(per.columns) == ["协议编号", "项目名称", "承接组织", "答卷数", "平均分", "满意率"]
    assert len(per) == count("projects", "WHERE state = 'closed'")
    _no_none(at)
    pid = db().scalar("SELECT min(project_id) FROM survey_responses")
    at = _open("staff", ["staff"], project=pid)
    n = count("survey_responses", "WHERE project_id = ?", [pid])
    assert f"{n} 份" in [m.value for m in at.metric]
    questions = next(d.value for d in at.dataframe if "题目" in d.value.columns)
    assert list(questions.columns) == ["题号", "题目", "题型", "满意度类别", "回答数", "平均分", "满意率",
                                       "回答「是」的比例"]
    assert len(questions) == len(sv.questions(sv.survey_for_project(pid)))
    _no_none(at)


def test_staff_enter_a_response_a_missing_answer_is_refused_and_keeps_the_input(loaded):
    pid = _active()
    sid = sv.survey_for_project(pid)
    qs = sv.questions(sid)
    key = f"survey:entry:{pid}:{sid}"
    at = _open("staff", ["staff"], project=pid, view="录入答卷")
    assert not at.exception, at.exception
    at.selectbox(key=f"{key}::community").set_value("文海社区")
    for q in qs[:-3]:  # the last scale question, the yes/no and the text left empty
        at.selectbox(key=f"{key}::{answer_field(q['id'])}").set_value(5)
    before = count("survey_responses"), count("survey_answers"), count("audit_log")
    at = at.button(key=f"FormSubmitter:{key}-保存答卷").click().run()
    assert not at.exception, at.exception
    assert "未保存" in errors(at) and "请选择9. 总体而言,您对本项目满意吗" in plain_texts(at) + errors(at)
    assert at.selectbox(key=f"{key}::{answer_field(qs[0]['id'])}").value == 5  # kept
    assert (count("survey_responses"), count("survey_answers"), count("audit_log")) == before
    at.selectbox(key=f"{key}::{answer_field(qs[-3]['id'])}").set_value(4)
    at.selectbox(key=f"{key}::{answer_field(qs[-2]['id'])}").set_value("是")
    at.text_area(key=f"{key}::{answer_field(qs[-1]['id'])}").input("希望多办几次")
    at = at.button(key=f"FormSubmitter:{key}-保存答卷").click().run()
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM survey_responses WHERE project_id = ?", [pid])
    assert (row["community"], row["source"], row["created_by"], row["response_date"]) == \
        ("文海社区", "人工录入", "staff", TODAY)
    assert count("survey_answers", "WHERE response_id = ?", [row["id"]]) == len(qs)
    assert any("已保存答卷" in s for s in successes(at))


def test_a_new_questionnaire_from_the_standard_rows_and_an_answered_one_is_frozen(loaded):
    std = sv.ensure_standard()
    at = _open("staff", ["staff"], view="问卷管理")
    assert not at.exception, at.exception
    assert "题目已固定" in plain_texts(at)  # the standard one has the demo's responses
    pid = _active()
    at.text_input(key="survey:new::name").input("本项目专用问卷")
    at.selectbox(key="survey:new::project_id").set_value(pid)
    at = at.button(key="FormSubmitter:survey:new-新建问卷").click().run()
    assert not at.exception, at.exception
    new = db().fetch_one("SELECT id, project_id FROM surveys WHERE name = '本项目专用问卷'")
    assert new["project_id"] == pid and new["id"] != std
    assert [(q["text"], q["kind"]) for q in sv.questions(new["id"])] == \
        [(q["text"], q["kind"]) for q in sv.questions(std)]
    assert sv.survey_for_project(pid) == new["id"]
    assert "已新建问卷:本项目专用问卷" in plain_texts(at) + " ".join(successes(at))


def test_leaders_read_the_results_and_get_no_forms(loaded):
    written = "WHERE table_name NOT IN ('security_events', 'user_sessions')"
    before = count("audit_log", written)
    at = _open("leader", ["leader"])
    assert [t.value for t in at.title] == ["无权访问"]
    at = _open("leader", ["leader"], url=READ_URL)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["居民满意度概况"]
    assert [t.label for t in at.tabs] == ["满意度结果"]
    assert at.dataframe and not [b for b in at.button if str(b.key).startswith("FormSubmitter:")]
    pid = db().scalar("SELECT min(project_id) FROM survey_responses")
    at = _open("leader", ["leader"], url=READ_URL, project=pid)
    assert not at.exception and "逐题结果" in [s.value for s in at.subheader]
    assert count("audit_log", written) == before


@pytest.mark.parametrize("user, role", [("expert", "reviewer")])
def test_a_reviewer_cannot_open_the_surveys(loaded, user, role):
    for target in ("pages.res_surveys:render", "pages.res_surveys:overview"):
        direct = screen_as(user, [role], target).run()
        assert "您的角色无权访问此页面。" in errors(direct) and not direct.dataframe


def test_the_evaluation_form_prefills_the_satisfaction_item_and_the_list_names_the_party(loaded):
    pid = _active()
    qs = sv.questions(sv.survey_for_project(pid))
    for scale in (5, 5, 4, 2):  # 75% of the 1–5 answers are 4 or 5
        sv.add_response(pid, {"response_date": TODAY, "community": "文海社区",
                              **{answer_field(q["id"]): {SCALE: scale, YESNO: "是", TEXT: None}[q["kind"]]
                                 for q in qs}}, STAFF)
    at = _open("staff", ["staff"], url="project-file", id=pid, tab="评估")
    assert not at.exception, at.exception
    ekey = f"eval:{pid}:final"
    assert "建议得分 = 满分 25 × 满意率 75.0% = 18.8 分" in plain_texts(at)
    assert at.number_input(key=f"{ekey}::score_2").value == 18.8
    partner = db().fetch_one("SELECT id, name FROM partners ORDER BY id LIMIT 1")
    at.date_input(key=f"{ekey}::eval_date").set_value(TODAY)
    at.selectbox(key=f"{ekey}::method").set_value("实地")
    at.text_input(key=f"{ekey}::evaluator").input("第三方评估组")
    at.selectbox(key=f"{ekey}::evaluator_partner_id").set_value(partner["id"])
    for i, pts in ((1, 28), (3, 18), (4, 13), (5, 9)):
        at.number_input(key=f"{ekey}::score_{i}").set_value(pts)
    at.text_area(key=f"{ekey}::conclusion").input("居民满意,执行规范")
    at = at.button(key=f"FormSubmitter:{ekey}-保存末期评估").click().run()
    assert not at.exception, errors(at)
    ev = db().fetch_one("SELECT * FROM evaluations WHERE project_id = ? AND kind = 'final'", [pid])
    assert ev["item_scores"] and '"服务成效与满意度": 18.8' in ev["item_scores"]
    assert ev["evaluator_partner_id"] == partner["id"] and ev["total_score"] == 86.8
    listed = next(d.value for d in at.dataframe if "评估方" in d.value.columns)  # the project file's evaluations
    assert partner["name"] in list(listed["评估方"]) and "第三方评估组" in list(listed["评估人"])


def test_staff_edit_the_questions_of_an_unanswered_questionnaire_as_rows(loaded):
    sid = sv.create_survey({"name": "待修改问卷"}, [
        {"text": "活动内容满意吗", "kind": SCALE, "category": "服务内容", "required": True},
        {"text": "有什么建议", "kind": TEXT, "category": "总体评价", "required": False}], STAFF)
    first = sv.questions(sid)
    at = _open("staff", ["staff"], view="问卷管理")
    at.selectbox(key="survey:pick").set_value(sid).run()
    ekey = f"survey:questions:{sid}:{first[-1]['id']}:0"
    at.session_state[ekey] = {"edited_rows": {0: {"text": "活动内容和频次满意吗"}},
                              "added_rows": [], "deleted_rows": [1]}
    at = at.button(key=f"FormSubmitter:survey:edit:{sid}-保存问卷").click().run()
    assert not at.exception, at.exception
    assert [(q["text"], q["kind"]) for q in sv.questions(sid)] == [("活动内容和频次满意吗", SCALE)]
    assert "已保存问卷" in plain_texts(at) + " ".join(successes(at))
