"""AppTest: 能力培训 (list, new training, sign-in form and sheet, feedback, effectiveness) and 能力评估
(assessment form per instrument version, organisation profile with radar, cohort views, support-map and
instrument editors). Good and bad input, values kept, nothing stored on bad input, role checks."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from schemas.choices import TRAINING_TOPICS
from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, signed_in, successes as _successes,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chart_frames(chart) -> list:
    """The data sets an Altair chart element carries (Arrow IPC)."""
    import pyarrow as pa

    return [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in chart.proto.datasets]


def _staff(url_path: str, **query) -> AppTest:
    at = signed_in("staff", ["staff"]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url_path)


def _actor():
    from core.platform.actor import Actor

    return Actor("staff", ("staff",))


def _new_org(i: int) -> tuple[int, str]:
    from core.orgs import organisations
    from tests.test_schema_organisation import org_values, uscc_for

    name = f"下沙能力建设界面测试社{i:02d}"
    return organisations.create(org_values(name=name, uscc=uscc_for("51", 700 + i)), _actor()), name


def _new_training(**kw) -> int:
    from core.incubation import trainings

    values = {"title": "界面测试:财税管理实务", "kind": "线下培训", "topic": "财税管理", "training_date": dt.date(2025, 6, 15),
              "capacity": 10} | kw
    return trainings.create(values, _actor())


# ---- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url_path,title", [("trainings", "能力培训"), ("capability-assessments", "能力评估")])
def test_staff_open_both_screens(demo_db, url_path, title):
    at = _staff(url_path)
    assert not at.exception
    assert [t.value for t in at.title] == [title]
    if url_path == "trainings":
        assert at.get("download_button")[0].label == "导出Excel"  # the list's export
        assert [t.label for t in at.tabs] == ["培训列表", "新建培训", "培训成效"]
    else:
        assert [t.label for t in at.tabs] == ["新建评估", "组织画像", "整体情况", "评估工具", "支持对照表"]


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
@pytest.mark.parametrize("url_path", ["trainings", "capability-assessments"])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, username, role, url_path):
    at = open_page(signed_in(username, [role]).run(), url_path)
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]


@pytest.mark.parametrize("target", ["pages.capability:trainings", "pages.capability:assessments"])
def test_screens_refuse_a_leader_when_called_directly(demo_db, target):
    def script(target):
        import importlib

        import streamlit as st

        from core import app

        app.bootstrap()
        st.session_state.update(authentication_status=True, username="leader", name="leader", roles=["leader"])
        module, _, func = target.partition(":")
        getattr(importlib.import_module(module), func)()

    before = _count("audit_log", "WHERE table_name <> 'security_events'")
    at = AppTest.from_function(script, kwargs={"target": target}, default_timeout=60).run()
    assert not at.exception  # the refusal itself may be recorded (security_events); nothing else
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.title) == 0
    assert _count("audit_log", "WHERE table_name <> 'security_events'") == before  # not even the default instrument is seeded for a leader


# ---- trainings -----------------------------------------------------------------------------------

def test_new_training_good_and_bad_input(demo_db):
    before = _count("trainings")
    at = _staff("trainings")
    at.text_input(key="training_new::title").input("界面测试:品牌传播工作坊")
    at.selectbox(key="training_new::kind").set_value("实操工作坊")
    at.number_input(key="training_new::capacity").set_value(0)
    at.button(key="FormSubmitter:training_new-创建培训").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "请选择主题领域" in errors and "请选择培训日期" in errors and "计划名额(人)不能小于1" in errors
    assert _count("trainings") == before
    assert at.text_input(key="training_new::title").value == "界面测试:品牌传播工作坊"  # kept
    assert at.selectbox(key="training_new::kind").value == "实操工作坊"

    at.selectbox(key="training_new::topic").set_value("品牌传播")
    at.date_input(key="training_new::training_date").set_value(dt.date(2026, 3, 20))
    at.number_input(key="training_new::capacity").set_value(30)
    at.button(key="FormSubmitter:training_new-创建培训").click().run()
    assert not at.exception
    assert not _errors(at)
    row = _db().fetch_one("SELECT * FROM trainings WHERE title = '界面测试:品牌传播工作坊'")
    assert row is not None and (row["kind"], row["topic"], row["capacity"], row["created_by"]) == (
        "实操工作坊", "品牌传播", 30, "staff")
    assert f"已创建培训「界面测试:品牌传播工作坊」(编号 {row['id']})" in "".join(_successes(at))
    assert _count("trainings") == before + 1
    assert at.text_input(key="training_new::title").value == ""  # emptied after success
    assert len(at.get("download_button")) >= 1  # the list's Excel export


def test_sign_in_form_good_duplicate_and_bad(demo_db):
    org, name = _new_org(1)
    tid = _new_training()
    at = _staff("trainings", id=str(tid))
    assert not at.exception
    assert "界面测试:财税管理实务" in texts(at)
    assert [t.label for t in at.tabs][1:6] == ["签到名单", "签到表导入", "培训反馈", "反馈导入", "编辑培训"]
    key = f"attend:{tid}"
    at.selectbox(key=f"{key}::org_id").set_value(org)
    at.text_input(key=f"{key}::person").input("张三")
    at.button(key=f"FormSubmitter:{key}-登记签到").click().run()
    assert not at.exception
    assert "已登记签到:张三" in _successes(at)
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 1
    assert "已签到 1 人次,来自 1 个组织,到课率 10.0%。" in texts(at)
    # the same person again, and a bad phone: refused, nothing stored, values kept
    at.selectbox(key=f"{key}::org_id").set_value(org)
    at.text_input(key=f"{key}::person").input("张三")
    at.text_input(key=f"{key}::phone").input("12345")
    at.button(key=f"FormSubmitter:{key}-登记签到").click().run()
    assert not at.exception
    assert "联系电话无效" in _errors(at)
    at.text_input(key=f"{key}::phone").input("")
    at.button(key=f"FormSubmitter:{key}-登记签到").click().run()
    assert "该组织的「张三」已签到,不能重复登记" in _errors(at)
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 1
    assert at.text_input(key=f"{key}::person").value == "张三"
    assert at.selectbox(key=f"{key}::org_id").value == org


def test_removing_a_sign_in_says_why_it_cannot_yet_then_asks_first(demo_db):
    from core.incubation import trainings

    org, name = _new_org(7)
    tid = _new_training()
    aid = trainings.add_attendance(tid, {"org_id": org, "person": "李四"}, _actor())
    at = _staff("trainings", id=str(tid), section="签到名单")
    assert at.button(key=f"att:{tid}:remove_btn:None").disabled  # nothing chosen: says why instead of nothing
    assert "先在上方选择要删除的签到记录" in texts(at)
    at.selectbox(key=f"att:{tid}:remove").set_value(aid).run()
    at.button(key=f"att:{tid}:remove_btn:{aid}").click().run()
    box = "\n".join(plain(w.value) for w in at.warning if "请确认" in plain(w.value))
    assert f"删除签到「{name} · 李四」及其培训反馈" in box and "不能恢复" in box
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 1  # asked, nothing removed yet
    at.button(key=f"att:{tid}:remove_btn:{aid}:yes").click().run()
    assert not at.exception
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 0
    assert f"已删除签到:{name} · 李四" in _successes(at)
    assert at.query_params["id"] == str(tid)  # still this training (签到名单 is the default tab: not in the URL)


def test_the_profile_opens_from_the_url(demo_db):
    org, name = _new_org(8)
    _assess(org, 3, "2025年上半年", dt.date(2025, 5, 10))
    at = _staff("capability-assessments", tab="组织画像", org=str(org))
    assert not at.exception
    assert at.selectbox(key="profile:org").value == org
    assert at.query_params["tab"] == "组织画像"
    assert any(m.label == "总分" and m.value == "50.0" for m in at.metric)


def test_edit_a_training_changes_only_what_was_changed(demo_db):
    from core.incubation import trainings

    tid = _new_training()
    at = _staff("trainings", id=str(tid))
    key = f"training_edit:{tid}"
    assert at.text_input(key=f"{key}::title").value == "界面测试:财税管理实务"
    at.number_input(key=f"{key}::capacity").set_value(-5)
    at.button(key=f"FormSubmitter:{key}-保存修改").click().run()
    assert "计划名额(人)不能小于1" in _errors(at)
    assert trainings.get(tid)["capacity"] == 10
    at.number_input(key=f"{key}::capacity").set_value(25)
    at.text_input(key=f"{key}::trainer").input("陈会计师")
    at.button(key=f"FormSubmitter:{key}-保存修改").click().run()
    assert not at.exception and not _errors(at)
    t = trainings.get(tid)
    assert (t["capacity"], t["trainer"], t["title"], t["updated_by"]) == (25, "陈会计师", "界面测试:财税管理实务", "staff")
    assert "已保存修改" in _successes(at)


def _sheet(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["组织名称*", "姓名*", "职务", "联系电话"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_sign_in_sheet_import_with_report_confirm_and_reimport(demo_db):
    org, name = _new_org(2)
    tid = _new_training()
    data = _sheet([[name, "李四", "负责人", "13857100002"], ["没有这个组织", "王五", None, None], [name, "赵六", None, None]])
    at = _staff("trainings", id=str(tid))
    at.file_uploader(key=f"att_import:{tid}:file").set_value(("签到表.xlsx", data, XLSX)).run()
    assert not at.exception
    assert "共 3 行:可导入 2 行,错误 1 行,已存在 0 行,文件内重复 0 行。" in texts(at)
    report = next(d.value for d in at.dataframe if "结果" in d.value.columns)
    bad = report[report["结果"] == "错误"].iloc[0]
    assert bad["行号"] == 3 and "「没有这个组织」不在组织名称的列表中" in bad["说明"]
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 0  # nothing before confirming
    at.button(key=f"att_import:{tid}:confirm").click().run()
    assert not at.exception
    assert "已导入 2 条签到。" in _successes(at)
    stored = _db().fetch_all("SELECT org_id, person, created_by FROM training_attendance WHERE training_id = ?"
                             " ORDER BY person", [tid])
    assert stored == [{"org_id": org, "person": "李四", "created_by": "staff"},
                      {"org_id": org, "person": "赵六", "created_by": "staff"}]

    again = _staff("trainings", id=str(tid))
    again.file_uploader(key=f"att_import:{tid}:file").set_value(("签到表.xlsx", data, XLSX)).run()
    assert not again.exception
    assert "已存在 2 行" in texts(again) and "没有可导入的行" in texts(again)
    assert not [b for b in again.button if b.key == f"att_import:{tid}:confirm"]
    assert _count("training_attendance", "WHERE training_id = ?", [tid]) == 2


def test_feedback_entry_good_and_bad(demo_db):
    from core.incubation import trainings

    org, _ = _new_org(3)
    tid = _new_training()
    att = trainings.add_attendance(tid, {"org_id": org, "person": "张三"}, _actor())
    at = _staff("trainings", id=str(tid))
    at.selectbox(key=f"fb:{tid}:who").set_value(att).run()
    key = f"feedback:{tid}"
    at.number_input(key=f"{key}::usefulness").set_value(6)
    at.number_input(key=f"{key}::clarity").set_value(4)
    at.text_area(key=f"{key}::comment").input("案例很实用")
    at.button(key=f"FormSubmitter:{key}-保存反馈").click().run()
    assert not at.exception
    assert "实用性不能大于5" in _errors(at) and "请填写契合需求" in _errors(at)
    assert trainings.feedback_of(att) is None
    assert at.text_area(key=f"{key}::comment").value == "案例很实用"
    at.number_input(key=f"{key}::usefulness").set_value(5)
    at.number_input(key=f"{key}::fit").set_value(3)
    at.button(key=f"FormSubmitter:{key}-保存反馈").click().run()
    assert not at.exception
    assert not _errors(at)
    fb = trainings.feedback_of(att)
    assert (fb["usefulness"], fb["clarity"], fb["fit"], fb["comment"]) == (5, 4, 3, "案例很实用")
    assert any(s.startswith("已录入反馈") for s in _successes(at))
    assert {m.label: m.value for m in at.metric}["反馈份数"] == "1/1"


def test_effectiveness_tables(demo_db):
    at = _staff("trainings", tab="培训成效")  # computed only when its tab is open
    assert not at.exception
    tables = [d.value for d in at.dataframe]
    by_event = next(t for t in tables if "培训名称" in t.columns and "反馈均分(1-5)" in t.columns)
    by_topic = next(t for t in tables if "主题领域" in t.columns and "培训场次" in t.columns)
    assert {"到课率(%)", "能力维度变化(分)", "对应能力维度"} <= set(by_event.columns)
    assert set(by_topic["主题领域"]) <= set(TRAINING_TOPICS)


def test_capability_tables_read_the_declared_labels(demo_db):
    """The tables of 能力培训 and 能力评估 are headed by the labels declared once beside their queries: the
    schema's field labels (计划名额(人), 工具名称, 能力维度), the computed columns (均分, 到课率(%))."""
    from core.incubation import trainings

    org, _ = _new_org(8)
    tid = _new_training()
    att = trainings.add_attendance(tid, {"org_id": org, "person": "张三", "position": "干事"}, _actor())
    trainings.save_feedback(att, {"usefulness": 5, "clarity": 4, "fit": 3}, _actor())
    at = _staff("trainings", id=str(tid))
    assert not at.exception
    shown = [list(d.value.columns) for d in at.dataframe]
    assert ["组织", "姓名", "职务", "联系电话", "反馈"] in shown
    assert ["组织", "姓名", "实用性", "讲解清晰度", "契合需求", "均分", "意见建议"] in shown
    effect = [list(d.value.columns) for d in _staff("trainings", tab="培训成效").dataframe]
    by_event = next(c for c in effect if "反馈均分(1-5)" in c)
    assert by_event == [trainings.EFFECT_COLUMNS[c] for c in trainings.by_event().columns]
    assert by_event[:6] == ["编号", "培训名称", "培训形式", "主题领域", "培训日期", "计划名额(人)"]
    listed = next(c for c in shown if "授课老师" in c)
    assert listed == ["编号", "培训名称", "培训形式", "主题领域", "培训日期", "授课老师", "合作机构", "地点",
                      "计划名额(人)", "参训人次", "到课率(%)"]
    assert {"反馈份数", "实用性", "讲解清晰度", "契合需求"} <= {m.label for m in at.metric}

    shown = []
    for tab in ("评估工具", "支持对照表", "整体情况"):  # each tab drawn once it is open (the read-only ones only then)
        at = _staff("capability-assessments", tab=tab)
        assert not at.exception
        shown += [list(d.value.columns) for d in at.dataframe]
    assert ["编号", "版本", "工具名称", "版本说明", "创建时间", "维度数", "指标数", "已用于评估"] in shown
    assert ["维度", "维度权重", "指标", "评分指引"] in shown
    assert ["能力维度", "对应辅导模块", "对应培训主题"] in shown
    assert ["维度", "组织数", "最低", "中位数", "平均", "最高"] in shown
    assert ["组织", "所属社区", "上次评估日期", "上次评估期"] in shown


# ---- assessments ---------------------------------------------------------------------------------

def _instrument():
    from core.incubation import assessments

    assessments.ensure_defaults()
    return assessments.instrument(assessments.latest_instrument_id())


def _fill_scores(at: AppTest, inst: dict, score: int = 4, skip: int | None = None) -> None:
    for d in inst["dimensions"]:
        for i in d["indicators"]:
            if i["id"] != skip:
                at.number_input(key=f"assess:{inst['id']}::score_{i['id']}").set_value(score)


def test_new_assessment_good_and_bad(demo_db):
    inst = _instrument()
    org, name = _new_org(4)
    key = f"assess:{inst['id']}"
    at = _staff("capability-assessments")
    assert not at.exception
    assert "请先选择要评估的组织。" in texts(at)
    at.selectbox(key="assess:org").set_value(org).run()
    assert at.text_input(key=f"{key}::assessor").value == "staff"
    first = inst["dimensions"][0]["indicators"][0]
    _fill_scores(at, inst, 4, skip=first["id"])
    from schemas import choices

    period = at.selectbox(key=f"{key}::period")  # a choice of defined periods, not free text
    assert period.value == choices.half_year_of(dt.date.today())  # the current half-year is proposed
    assert period.options == choices.assessment_periods() and "2026年上半年" in period.options
    period.set_value(None)
    at.text_area(key=f"{key}::evidence").input("查阅章程和会议记录")
    at.button(key=f"FormSubmitter:{key}-保存评估").click().run()
    assert not at.exception
    errors = _errors(at)
    assert f"请填写内部治理·{first['name']}" in errors and "请选择评估期" in errors
    assert _count("assessments", "WHERE org_id = ?", [org]) == 0
    assert at.text_area(key=f"{key}::evidence").value == "查阅章程和会议记录"  # kept

    at.number_input(key=f"{key}::score_{first['id']}").set_value(5)
    at.selectbox(key=f"{key}::period").set_value("2026年上半年")
    at.button(key=f"FormSubmitter:{key}-保存评估").click().run()
    assert not at.exception
    assert not _errors(at)
    row = _db().fetch_one("SELECT * FROM assessments WHERE org_id = ?", [org])
    # one indicator of 内部治理 (3 indicators, weight 15) at 5, the rest at 4 (75):
    # 内部治理 (13/3 - 1)/4*100 = 83.33; total = (15*83.333 + 85*75) / 100 = 76.25
    assert row["total"] == 76.25 and row["period"] == "2026年上半年" and row["evidence"] == "查阅章程和会议记录"
    assert f"已保存 {name}「2026年上半年」的评估(编号 {row['id']}),总分 76.25" in _successes(at)
    assert _count("assessment_scores", "WHERE assessment_id = ?", [row["id"]]) == sum(
        len(d["indicators"]) for d in inst["dimensions"])


def _assess(org: int, score: int, period: str, day: dt.date) -> int:
    from core.incubation import assessments

    inst = _instrument()
    values = {f"score_{i['id']}": score for d in inst["dimensions"] for i in d["indicators"]}
    values.update(period=period, assessor="王敏", assessed_on=day)
    return assessments.create(org, inst["id"], values, _actor())[0]


def test_profile_shows_radar_trend_and_recommendations(demo_db):
    org, _ = _new_org(5)
    _assess(org, 2, "2024年上半年", dt.date(2024, 5, 10))
    _assess(org, 4, "2024年下半年", dt.date(2024, 11, 10))
    at = _staff("capability-assessments", tab="组织画像")
    at.selectbox(key="profile:org").set_value(org).run()
    assert not at.exception
    charts = at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")  # Altair charts (UnknownElement)
    specs = [json.loads(c.proto.spec) for c in charts]
    radar_at = next(i for i, s in enumerate(specs) if len(s.get("layer", [])) == 6)  # grid, spokes, labels, 2 lines, points
    spec = json.dumps(specs[radar_at], ensure_ascii=False)
    for word in ("本期", "上期", "同期中位数", "系列", "得分", "维度", "评估期"):  # legend and tooltips
        assert word in spec
    frames = _chart_frames(charts[radar_at])
    series = next(f for f in frames if "series" in f.columns)
    now = series[series["series"] == "本期"]
    assert len(now) == 8 and now["dimension"].iloc[0] == now["dimension"].iloc[-1] == "内部治理"  # a closed line
    assert set(now["score"]) == {75.0} and set(series[series["series"] == "上期"]["score"]) == {25.0}
    labels = next(f for f in frames if list(f.columns) == ["dimension", "x", "y"])
    assert labels["dimension"].tolist()[-1] == "服务成效"
    assert any('"评估期"' in json.dumps(s, ensure_ascii=False) for i, s in enumerate(specs) if i != radar_at)  # trend
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["总分"] == "75.0"
    rec = next(d.value for d in at.dataframe if "建议辅导模块" in d.value.columns)
    assert len(rec) == 2  # all dimensions tie at 75: the first two of the instrument
    assert rec["维度"].tolist() == ["内部治理", "项目管理"]
    assert rec["建议辅导模块"].tolist()[0] == "风险预警防控"


def test_cohort_views(demo_db):
    org, name = _new_org(6)
    at = _staff("capability-assessments", tab="整体情况")
    stale = next(d.value for d in at.dataframe if "上次评估日期" in d.value.columns)
    assert name in stale["组织"].tolist()  # never assessed
    assert at.number_input(key="cohort:months").value == 12
    _assess(org, 3, "2024年下半年", dt.date.today() - dt.timedelta(days=200))
    at.number_input(key="cohort:months").set_value(6).run()
    assert not at.exception
    stale = next(d.value for d in at.dataframe if "上次评估日期" in d.value.columns)
    assert name in stale["组织"].tolist()  # assessed 200 days ago: more than 6 months
    at.number_input(key="cohort:months").set_value(12).run()
    stale = next(d.value for d in at.dataframe if "上次评估日期" in d.value.columns)
    assert name not in stale["组织"].tolist()
    assert at.selectbox(key="cohort:period").value is not None
    assert any("各维度得分分布" in s.value for s in at.subheader)


def test_support_map_editor(demo_db):
    from core.incubation import assessments

    at = _staff("capability-assessments", tab="支持对照表")
    at.selectbox(key="support:dim").set_value("品牌传播").run()
    key = "support:品牌传播"
    assert at.multiselect(key=f"{key}::topics").value == assessments.support_row("品牌传播")["topics"]
    at.multiselect(key=f"{key}::modules").set_value(["风险预警防控"])
    at.multiselect(key=f"{key}::topics").set_value(["品牌传播", "资源动员"])
    at.button(key=f"FormSubmitter:{key}-保存对照").click().run()
    assert not at.exception
    assert "已保存对照" in _successes(at)
    row = assessments.support_row("品牌传播")
    assert (row["modules"], row["topics"]) == (["风险预警防控"], ["品牌传播", "资源动员"])


def test_instrument_editor_saves_a_new_version_and_refuses_bad_rows(demo_db):
    from core.incubation import assessments

    inst = _instrument()
    versions = len(assessments.instruments())
    at = _staff("capability-assessments", tab="评估工具")
    ekey = f"instrument:editor:{inst['id']}"
    # what the browser's data_editor sends: the second row's weight differs from its dimension's first row
    at.session_state[ekey] = {"edited_rows": {1: {"weight": 99}}, "added_rows": [], "deleted_rows": []}
    at.button(key="FormSubmitter:instrument_new-保存为新版本").click().run()
    assert not at.exception
    assert "维度「内部治理」各行的权重不一致" in _errors(at)
    assert len(assessments.instruments()) == versions
    rows = len(assessments.instrument_rows(inst["id"]))  # typed into the first empty row after the instrument's
    at.session_state[ekey] = {"edited_rows": {rows: {
        "dimension": "数字化能力", "weight": 5, "indicator": "线上服务", "guidance": "有线上服务渠道"}},
        "deleted_rows": [], "added_rows": []}
    at.text_area(key="instrument_new::note").input("增加数字化能力维度")
    at.button(key="FormSubmitter:instrument_new-保存为新版本").click().run()
    assert not at.exception
    assert not _errors(at)
    assert len(assessments.instruments()) == versions + 1
    new = assessments.instrument(assessments.latest_instrument_id())
    assert new["version"] == inst["version"] + 1 and new["note"] == "增加数字化能力维度"
    assert [d["name"] for d in new["dimensions"]][-1] == "数字化能力"
    assert f"已保存评估工具第{new['version']}版" in _successes(at)
    at = _staff("capability-assessments")  # 新建评估
    assert f"第{new['version']}版 · {new['name']}" in at.selectbox(key="assess:instrument").options  # offered now
