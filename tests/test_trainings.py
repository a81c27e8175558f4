"""能力培训 core: events, sign-in (form and sheet: organisations named by name, bad rows reported,
re-import adds nothing), feedback (form and sheet) and effectiveness on a hand-built dataset."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from core import domain
from core.incubation import assessments as A, trainings as T
from core.orgs import organisations
from core.platform import importer
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.importer import RowReport
from tests.test_schema_organisation import org_values, uscc_for

STAFF = Actor("wangmin", ("staff",))
D = dt.date


@pytest.fixture
def cap(db):
    domain.install_providers()
    return db


def _org(i: int, name: str | None = None, **kw) -> int:
    return organisations.create(org_values(name=name or f"下沙培训测试协会{i:02d}", uscc=uscc_for("51", 400 + i), **kw),
                                STAFF)


def _training(title="财税管理实务", topic="财税管理", day=D(2025, 6, 15), capacity=4, **kw) -> int:
    return T.create({"title": title, "kind": "线下培训", "topic": topic, "training_date": day, "capacity": capacity,
                     **kw}, STAFF)


def _name(org_id: int) -> str:
    return organisations.get(org_id)["name"]


def xlsx(headers: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- events and sign-in -------------------------------------------------------------------------

def test_create_a_training_and_refuse_bad_input(cap):
    tid = _training(trainer="李老师", partner="浙江钱江会计师事务所有限公司", place="中心活动室")
    t = T.get(tid)
    assert (t["title"], t["kind"], t["topic"], t["training_date"], t["capacity"]) == (
        "财税管理实务", "线下培训", "财税管理", D(2025, 6, 15), 4)
    assert t["created_by"] == "wangmin"
    with pytest.raises(ValidationFailed) as info:
        T.create({"title": "", "kind": "跳舞", "topic": "财税管理", "training_date": None, "capacity": 0}, STAFF)
    assert info.value.fields == {"title": ["请填写培训名称"], "kind": ["请从列表中选择培训形式"],
                                 "training_date": ["请选择培训日期"], "capacity": ["计划名额(人)不能小于1"]}
    assert cap.scalar("SELECT count(*) FROM trainings") == 1
    with pytest.raises(PermissionDenied):
        T.create({"title": "领导的培训", "kind": "线上课程", "topic": "公益管理", "training_date": D(2025, 1, 1)},
                 Actor("boss", ("leader",)))


def test_sign_in_once_per_person_and_organisation(cap):
    a, b = _org(1), _org(2)
    tid = _training()
    T.add_attendance(tid, {"org_id": a, "person": "张三", "phone": "13857100001"}, STAFF)
    T.add_attendance(tid, {"org_id": b, "person": "张三"}, STAFF)  # another organisation's 张三
    with pytest.raises(ValidationFailed) as info:
        T.add_attendance(tid, {"org_id": a, "person": " 张三 "}, STAFF)
    assert info.value.fields == {"person": ["该组织的「张三」已签到,不能重复登记"]}
    with pytest.raises(ValidationFailed) as info:
        T.add_attendance(tid, {"org_id": 9999, "person": "李四", "phone": "123"}, STAFF)
    assert info.value.fields == {"org_id": ["请从列表中选择组织名称"],
                                 "phone": ["联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"]}
    att = T.attendance(tid)
    assert att[["org", "person"]].values.tolist() == [[_name(a), "张三"], [_name(b), "张三"]]
    assert att["phone"].iloc[0] == "138 5710 0001" and pd_none(att["phone"].iloc[1])


def test_removing_a_sign_in_removes_its_feedback(cap):
    a = _org(1)
    tid = _training()
    att = T.add_attendance(tid, {"org_id": a, "person": "张三"}, STAFF)
    T.save_feedback(att, {"usefulness": 5, "clarity": 4, "fit": 3}, STAFF)
    T.remove_attendance(att, STAFF)
    assert cap.scalar("SELECT count(*) FROM training_attendance") == 0
    assert cap.scalar("SELECT count(*) FROM training_feedback") == 0
    assert cap.scalar("SELECT count(*) FROM audit_log WHERE action = 'delete'") == 2


# ---- sign-in sheet ------------------------------------------------------------------------------

def _headers(spec) -> list[str]:
    return list(next(load_workbook(io.BytesIO(importer.template(spec))).worksheets[0].iter_rows(values_only=True)))


def test_sign_in_template_names_organisations_by_name(cap):
    a = _org(1)
    spec = T.attendance_import_spec(_training())
    assert _headers(spec) == ["组织名称*", "姓名*", "职务", "联系电话"]
    notes = list(load_workbook(io.BytesIO(importer.template(spec)))["填写说明"].iter_rows(values_only=True))
    assert notes[1][0] == "组织名称" and _name(a) in notes[1][3]
    assert str(a) not in notes[1][3].split("、")


def test_sign_in_sheet_bad_rows_and_reimport(cap):
    a, b = _org(1), _org(2)
    tid = _training()
    spec = T.attendance_import_spec(tid)
    data = xlsx(_headers(spec), [
        [_name(a), "张三", "负责人", 13857100001],
        [_name(b), "李四", None, "0571-86001234"],
        ["不存在的协会", "王五", None, None],
        [_name(b), None, None, None],
        [_name(b), "赵六", None, "123"],
        [f"  {_name(a)} ", "张三", "会计", None],  # same person again in the file
    ])
    plan = importer.plan(spec, data)
    assert plan.report == [
        RowReport(2, "有效"), RowReport(3, "有效"),
        RowReport(4, "错误", "组织名称", "「不存在的协会」不在组织名称的列表中(请与系统中的名称完全一致)"),
        RowReport(5, "错误", "姓名", "请填写姓名"),
        RowReport(6, "错误", "联系电话", "联系电话无效:请填写中国大陆手机号(11位)或带区号的固定电话"),
        RowReport(7, "文件内重复", "", "与本文件第 2 行重复,跳过"),
    ]
    assert [(r["training_id"], r["org_id"], r["person"]) for r in plan.valid] == [(tid, a, "张三"), (tid, b, "李四")]
    assert cap.scalar("SELECT count(*) FROM training_attendance") == 0  # nothing before the commit
    assert T.commit_import(spec, plan, STAFF) == 2
    assert cap.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'training_attendance'"
                      " AND action = 'import'") == 2
    again = importer.plan(spec, data)
    assert again.valid == []
    assert [r.status for r in again.report] == ["已存在", "已存在", "错误", "错误", "错误", "已存在"]
    assert again.report[0].message.startswith("与已登记的「张三」")
    assert cap.scalar("SELECT count(*) FROM training_attendance") == 2
    # the same sheet for another training is new there
    other = T.attendance_import_spec(_training(title="品牌传播工作坊", topic="品牌传播"))
    assert len(importer.plan(other, data).valid) == 2


def test_a_sign_in_sheet_for_a_training_not_yet_held_reports_every_row(cap):
    """The sheet goes through the same context rule as the form: no sign-in before the training's day."""
    a = _org(1)
    ahead = dt.date.today() + dt.timedelta(days=30)
    spec = T.attendance_import_spec(_training(day=ahead))
    plan = importer.plan(spec, xlsx(_headers(spec), [[_name(a), "张三", None, None]]))
    assert plan.valid == []
    assert [(r.status, r.message) for r in plan.report] == [
        ("错误", f"培训日期 {ahead.isoformat()} 晚于今天 {dt.date.today().isoformat()}:培训举行当天或之后才能签到")]
    assert cap.scalar("SELECT count(*) FROM training_attendance") == 0


def test_a_sign_in_stored_between_preview_and_confirm_refuses_the_sheet(cap):
    a = _org(1)
    tid = _training()
    spec = T.attendance_import_spec(tid)
    plan = importer.plan(spec, xlsx(_headers(spec), [[_name(a), "张三", None, None]]))
    T.add_attendance(tid, {"org_id": a, "person": "张三"}, STAFF)
    with pytest.raises(ValidationFailed):
        T.commit_import(spec, plan, STAFF)
    assert cap.scalar("SELECT count(*) FROM training_attendance") == 1


def test_label_text_maps_to_its_value_for_any_labelled_select():
    labels = {"下沙街道某协会": 12, "管理员": "admin"}
    assert importer._convert(" 下沙街道某协会 ", "select", labels) == 12
    assert importer._convert("管理员", "select", labels) == "admin"
    assert importer._convert("12", "select", labels) == "12"  # not a label: left for the schema
    assert importer._convert("下沙街道某协会", "text", labels) == "下沙街道某协会"  # only select fields


# ---- feedback -----------------------------------------------------------------------------------

def test_feedback_by_form_is_entered_then_corrected(cap):
    att = T.add_attendance(_training(), {"org_id": _org(1), "person": "张三"}, STAFF)
    assert T.save_feedback(att, {"usefulness": 5, "clarity": 4, "fit": 3, "comment": "很实用"}, STAFF) is True
    assert T.save_feedback(att, {"usefulness": 4, "clarity": 4, "fit": 3, "comment": None}, STAFF) is False
    fb = T.feedback_of(att)
    assert (fb["usefulness"], fb["clarity"], fb["fit"], fb["comment"]) == (4, 4, 3, None)
    with pytest.raises(ValidationFailed) as info:
        T.save_feedback(att, {"usefulness": 6, "clarity": 0, "fit": None}, STAFF)
    assert info.value.fields == {"usefulness": ["实用性不能大于5"], "clarity": ["讲解清晰度不能小于1"], "fit": ["请填写契合需求"]}
    assert T.feedback_of(att)["usefulness"] == 4
    assert cap.scalar("SELECT count(*) FROM training_feedback") == 1


def test_feedback_sheet_links_rows_to_sign_ins(cap):
    a, c = _org(1), _org(3)
    tid = _training()
    T.add_attendance(tid, {"org_id": a, "person": "张三"}, STAFF)
    T.add_attendance(tid, {"org_id": a, "person": "李四"}, STAFF)
    spec = T.feedback_import_spec(tid)
    headers = _headers(spec)
    assert headers == ["组织名称*", "姓名*", "实用性*", "讲解清晰度*", "契合需求*", "意见建议"]
    data = xlsx(headers, [
        [_name(a), "张三", 5, 4, 3, "案例实用"],
        [_name(c), "赵六", 5, 5, 5, None],
        [_name(a), "李四", 6, 4, 4, None],
        [_name(a), "张三", 1, 1, 1, None],
    ])
    plan = importer.plan(spec, data)
    assert plan.report == [
        RowReport(2, "有效"),
        RowReport(3, "错误", "", "本培训的签到名单中没有该组织的「赵六」,请先登记签到"),
        RowReport(4, "错误", "实用性", "实用性不能大于5"),
        RowReport(5, "文件内重复", "", "与本文件第 2 行重复,跳过"),
    ]
    assert T.commit_import(spec, plan, STAFF) == 1
    assert T.feedback(tid)[["person", "usefulness", "clarity", "fit", "mean", "comment"]].values.tolist() == [
        ["张三", 5, 4, 3, 4.0, "案例实用"]]
    again = importer.plan(spec, data)
    assert again.valid == [] and again.report[0] == RowReport(2, "已存在", "", "与已登记的「张三的反馈」(编号 1)相同,跳过")


# ---- effectiveness ------------------------------------------------------------------------------

SMALL = [{"dimension": "财务管理", "weight": 1.0, "indicator": "财务制度", "guidance": None},
         {"dimension": "财务管理", "weight": 1.0, "indicator": "账目规范", "guidance": None},
         {"dimension": "品牌传播", "weight": 1.0, "indicator": "传播渠道", "guidance": None}]


@pytest.fixture
def world(cap):
    """Three organisations, three trainings, sign-ins, feedback and assessments (see the numbers below)."""
    A.ensure_defaults()
    inst = A.instrument(A.new_version(SMALL, {"name": "小工具"}, STAFF))
    (f1, f2), (b1,) = [[i["id"] for i in d["indicators"]] for d in inst["dimensions"]]
    a, b, c = _org(1), _org(2), _org(3)

    def assess(org, period, day, fin, brand=3):
        values = {f"score_{f1}": fin[0], f"score_{f2}": fin[1], f"score_{b1}": brand, "period": period,
                  "assessor": "王敏", "assessed_on": day}
        A.create(org, inst["id"], values, STAFF)

    assess(a, "2024下半年", D(2024, 11, 1), (1, 1))          # 财务 0   (not the last one before T1)
    assess(a, "2025上半年", D(2025, 5, 1), (2, 2), brand=3)  # 财务 25, 品牌 50
    assess(a, "2025下半年", D(2025, 12, 1), (3, 4), brand=4)  # 财务 62.5, 品牌 75
    assess(a, "2026上半年", D(2026, 5, 1), (5, 5))           # 财务 100 (not the first one after)
    assess(b, "2025第一季度", D(2025, 3, 1), (2, 3))          # 财务 37.5
    assess(b, "2025第二季度", D(2025, 6, 15), (3, 3))         # same day as T1: neither before nor after
    assess(b, "2025下半年", D(2025, 12, 1), (4, 5))           # 财务 87.5
    assess(c, "2025下半年", D(2025, 12, 1), (5, 5))           # C has nothing before T2

    t1 = _training("财税管理实务", "财税管理", D(2025, 6, 15), capacity=4)
    t2 = _training("发票与税务", "财税管理", D(2025, 9, 1), capacity=None)
    t3 = _training("品牌传播工作坊", "品牌传播", D(2025, 7, 1), capacity=10)
    fb = {}
    for tid, org, person in ((t1, a, "张三"), (t1, a, "李四"), (t1, b, "王五"), (t2, c, "赵六"), (t3, a, "张三")):
        fb[(tid, person)] = T.add_attendance(tid, {"org_id": org, "person": person}, STAFF)
    for (tid, person), scores in {(t1, "张三"): (5, 4, 3), (t1, "李四"): (4, 4, 4), (t1, "王五"): (3, 2, 1),
                                  (t2, "赵六"): (5, 5, 5)}.items():
        T.save_feedback(fb[(tid, person)], dict(zip(("usefulness", "clarity", "fit"), scores)), STAFF)
    return {"a": a, "b": b, "c": c, "t1": t1, "t2": t2, "t3": t3}


def test_capability_change_uses_the_last_assessment_before_and_the_first_after(world):
    ch = T.capability_changes().set_index(["training_id", "org_id"])
    w = world
    assert ch.loc[(w["t1"], w["a"])][["dimension", "before", "after", "change"]].tolist() == ["财务管理", 25.0, 62.5, 37.5]
    assert ch.loc[(w["t1"], w["b"])][["before", "after", "change"]].tolist() == [37.5, 87.5, 50.0]
    c = ch.loc[(w["t2"], w["c"])]
    assert pd_none(c["before"]) and c["after"] == 100.0 and pd_none(c["change"])
    assert ch.loc[(w["t3"], w["a"])][["dimension", "before", "after", "change"]].tolist() == ["品牌传播", 50.0, 75.0, 25.0]


def test_effectiveness_per_event(world):
    ev = T.by_event().set_index("id")
    assert ev.index.tolist() == [world["t2"], world["t3"], world["t1"]]  # newest first
    t1 = ev.loc[world["t1"]]
    assert (t1["attendees"], t1["orgs"], t1["attendance_rate"], t1["feedback_n"]) == (3, 2, 0.75, 3)
    assert t1["feedback_mean"] == pytest.approx(30 / 9)  # (12 + 12 + 6) / 3 answers / 3 questions
    assert (t1["dimension"], t1["capability_n"], t1["capability_change"]) == ("财务管理", 2, 43.75)  # (37.5 + 50) / 2
    t2 = ev.loc[world["t2"]]
    assert pd_none(t2["attendance_rate"]) and t2["feedback_mean"] == 5.0
    assert t2["capability_n"] == 0 and pd_none(t2["capability_change"])
    t3 = ev.loc[world["t3"]]
    assert (t3["attendance_rate"], t3["feedback_n"], t3["capability_change"]) == (0.1, 0, 25.0)
    assert pd_none(t3["feedback_mean"])


def test_effectiveness_per_topic(world):
    top = T.by_topic().set_index("topic")
    assert top.index.tolist() == ["财税管理", "品牌传播"]
    fin = top.loc["财税管理"]
    assert (fin["events"], fin["attendees"], fin["capacity"]) == (2, 4, 4)
    assert fin["attendance_rate"] == 0.75  # 3 person-times of the one event with a capacity / 4
    assert (fin["feedback_n"], fin["feedback_mean"]) == (4, 3.75)  # (30 + 15) / 12
    assert (fin["capability_n"], fin["capability_change"]) == (2, 43.75)
    brand = top.loc["品牌传播"]
    assert (brand["attendance_rate"], brand["feedback_n"], brand["capability_change"]) == (0.1, 0, 25.0)
    shown = T.for_display(T.by_topic()).set_index("主题领域")
    assert shown.loc["财税管理", "到课率(%)"] == 75.0 and shown.loc["财税管理", "反馈均分(1-5)"] == 3.75


def test_trainings_choice_list_and_upcoming(world):
    from schemas import choices

    assert choices.label("trainings", world["t1"]) == "财税管理实务(2025-06-15)"
    up = T.upcoming(["财税管理"], today=D(2025, 7, 1))
    assert up["id"].tolist() == [world["t2"]]
    assert T.upcoming([]).empty


def pd_none(v) -> bool:
    import pandas as pd

    return v is None or pd.isna(v)
