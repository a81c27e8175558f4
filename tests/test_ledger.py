"""服务台账: recording activities (inside the project's period, not on a terminated or closed project, one
title per day), the per-project Excel import (bad rows reported per row, only valid rows written,
re-import adds nothing), activity photos (images only, by content), progress against the plan at a
fixed date, and the list across projects."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from PIL import Image

from core.monitoring import ledger, projects
from core.platform import documents, importer, listing, records
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from tests.monitoring_fixtures import signed_project
from tests.test_documents import PDF, xlsx
from core.platform.db import get_db
from tests.test_rounds import (  # noqa: F401  (hub: fixture)
    REVIEWER, STAFF, audit_rows, hub, last_audit_id, make_round,
)

D = dt.date
START, END = D(2026, 6, 1), D(2026, 12, 18)  # a 200-day period
PERIOD_MSG = "活动日期须在项目执行期内(2026-06-01 至 2026-12-18)"


def project(serial: int = 1, **overrides) -> int:
    """A signed project running 2026-06-01 .. 2026-12-18 (200 days), planning 20 activities / 1000 人次;
    every project of a test belongs to the same round."""
    values = dict(start_date=START, end_date=END, planned_activities=20, planned_person_times=1000,
                  midterm_due=D(2026, 9, 15), final_due=END)
    values.update(overrides)
    rid = get_db().scalar("SELECT min(id) FROM rounds") or make_round(total_budget=1_000_000)
    return signed_project(serial, round_id=rid, **values)


def act(pid: int, day: dt.date, title: str = "邻里助餐服务", **overrides) -> dict:
    values = {"project_id": pid, "activity_date": day, "community": "文海社区", "place": "社区活动室",
              "kind": "社区活动", "title": title, "participants": 10, "person_times": 12, "volunteers": 2,
              "notes": None}
    values.update(overrides)
    return values


def count(db, table: str = "activities") -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}"))


def set_state(pid: int, state: str) -> None:
    with records.unit(STAFF) as u:
        projects.set_state_in(u, pid, state, note="测试", when=D(2026, 10, 1))


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 120, 30)).save(buf, format="PNG")
    return buf.getvalue()


# ---- recording ---------------------------------------------------------------------------------------

def test_an_activity_is_stored_audited_and_listed_newest_first(hub):
    pid = project()
    mark = last_audit_id(hub)
    first = ledger.add(act(pid, D(2026, 6, 10), "入户探访"), STAFF)
    second = ledger.add(act(pid, D(2026, 7, 5), "健康讲座", kind="讲座培训", participants=30, person_times=45,
                            volunteers=None), STAFF)
    df = ledger.activities(pid)
    assert list(df["id"]) == [second, first]
    row = df.iloc[0]
    assert (row["title"], row["kind"], int(row["participants"]), int(row["person_times"]), int(row["photos"])) == (
        "健康讲座", "讲座培训", 30, 45, 0)
    assert list(df.columns) == ["id", "activity_date", "community", "place", "venue_id", "kind", "title",
                                "participants", "person_times", "volunteers", "notes", "photos"]
    stored = hub.fetch_one("SELECT project_id, activity_date, created_by FROM activities WHERE id = ?", [first])
    assert stored == {"project_id": pid, "activity_date": D(2026, 6, 10), "created_by": "wangmin"}
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, mark)] == [("activities", "create")] * 2


@pytest.mark.parametrize("day, message", [(D(2026, 5, 31), "活动日期 2026-05-31 早于协议执行开始日期 2026-06-01"),
                                          (D(2026, 11, 21), "活动日期 2026-11-21 晚于协议执行结束日期 2026-11-20")])
def test_a_date_outside_the_period_is_refused_and_nothing_is_stored(hub, day, message):
    pid = project(end_date=D(2026, 11, 20), final_due=D(2026, 11, 20))
    with pytest.raises(ValidationFailed) as info:
        ledger.add(act(pid, day), STAFF)
    assert info.value.fields == {"activity_date": [message]}
    assert count(hub) == 0


def test_the_period_bounds_themselves_are_accepted(hub):
    pid = project(end_date=D(2026, 11, 20), final_due=D(2026, 11, 20))
    ledger.add(act(pid, START, "启动仪式"), STAFF)
    ledger.add(act(pid, D(2026, 11, 20), "结项分享会"), STAFF)
    assert count(hub) == 2


@pytest.mark.parametrize("state", ["terminated", "closed"])
def test_a_terminated_or_closed_project_takes_no_activity(hub, state):
    pid = project()
    set_state(pid, state)
    mark = last_audit_id(hub)
    with pytest.raises(ledger.ActivityRefused) as info:
        ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    assert str(info.value) == ("项目已终止,不能再登记服务活动" if state == "terminated" else "项目已结项,不能再登记服务活动")
    assert count(hub) == 0 and last_audit_id(hub) == mark


def test_a_stopped_project_still_records_its_services(hub):
    pid = project()
    set_state(pid, "stopped")
    ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    assert count(hub) == 1


def test_the_same_title_on_the_same_day_is_refused(hub):
    pid = project()
    ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    with pytest.raises(ValidationFailed) as info:
        ledger.add(act(pid, D(2026, 7, 1), participants=3, person_times=3), STAFF)
    assert info.value.fields == {"title": ["该项目当天已有同名活动"]}
    ledger.add(act(pid, D(2026, 7, 2)), STAFF)  # the next day is another activity
    other = project(2)
    ledger.add(act(other, D(2026, 7, 1)), STAFF)  # and so is another project's
    assert count(hub) == 3


def test_schema_refusals_store_nothing(hub):
    pid = project()
    with pytest.raises(ValidationFailed) as info:
        ledger.add(act(pid, D(2026, 7, 1), participants=20, person_times=15, community="不存在社区"), STAFF)
    assert info.value.fields["person_times"] == ["服务人次不能少于参与人数"]
    assert "community" in info.value.fields
    assert count(hub) == 0


def test_a_reviewer_may_not_record_activities(hub):
    pid = project()
    with pytest.raises(PermissionDenied):
        ledger.add(act(pid, D(2026, 7, 1)), REVIEWER)
    assert count(hub) == 0


# ---- progress ----------------------------------------------------------------------------------------

def test_progress_at_a_known_date(hub):
    pid = project()
    ledger.add(act(pid, D(2026, 6, 10), "入户探访", participants=10, person_times=10), STAFF)
    ledger.add(act(pid, D(2026, 7, 15), "健康讲座", participants=40, person_times=40), STAFF)
    ledger.add(act(pid, D(2026, 8, 20), "邻里节", participants=50, person_times=70), STAFF)
    ledger.add(act(pid, D(2026, 9, 1), "九月助餐", participants=5, person_times=5), STAFF)  # after "today"
    p = ledger.progress(pid, today=D(2026, 8, 20))  # 80 of 200 days: 40%
    assert p["planned_activities"] == 20 and p["planned_person_times"] == 1000
    assert p["elapsed_share"] == pytest.approx(0.4)
    assert p["expected_activities"] == pytest.approx(8.0)
    assert p["expected_person_times"] == pytest.approx(400.0)
    assert (p["activities"], p["person_times"]) == (3, 120)
    assert p["activity_pace"] == pytest.approx(3 / 8)
    assert p["person_pace"] == pytest.approx(120 / 400)
    assert p["last_activity"] == D(2026, 8, 20)


def test_progress_before_the_start_and_after_the_end_is_clamped(hub):
    pid = project()
    before = ledger.progress(pid, today=D(2026, 5, 1))
    assert (before["elapsed_share"], before["expected_activities"], before["expected_person_times"]) == (0.0, 0.0, 0.0)
    assert (before["activities"], before["activity_pace"], before["person_pace"], before["last_activity"]) == (
        0, None, None, None)
    ledger.add(act(pid, D(2026, 6, 2), participants=100, person_times=500), STAFF)
    after = ledger.progress(pid, today=D(2027, 2, 1))
    assert after["elapsed_share"] == 1.0
    assert (after["expected_activities"], after["expected_person_times"]) == (20.0, 1000.0)
    assert after["activity_pace"] == pytest.approx(1 / 20) and after["person_pace"] == pytest.approx(0.5)
    with pytest.raises(NotFound):
        ledger.progress(9999, today=D(2026, 8, 1))


def test_progress_all_covers_the_running_projects_in_one_frame(hub):
    a, b, c = project(1), project(2, planned_activities=10), project(3)
    ledger.add(act(a, D(2026, 6, 10)), STAFF)
    ledger.add(act(b, D(2026, 6, 11)), STAFF)
    ledger.add(act(b, D(2026, 6, 12)), STAFF)
    set_state(b, "stopped")
    set_state(c, "terminated")
    today = D(2026, 8, 20)
    df = ledger.progress_all(today=today).set_index("project_id")
    assert sorted(df.index) == [a, b]
    for pid in (a, b):
        one = ledger.progress(pid, today=today)
        for k, v in one.items():
            got = df.loc[pid, k]
            if v is None:
                assert got is None or got != got
            elif isinstance(v, dt.date):
                assert got.date() == v
            else:
                assert got == pytest.approx(v), (pid, k)
    assert (int(df.loc[b, "activities"]), df.loc[b, "expected_activities"]) == (2, pytest.approx(4.0))
    assert {"agreement_no", "title", "org", "state"} <= set(df.columns)


# ---- the Excel import ----------------------------------------------------------------------------------

def sheet(spec, rows: list[list]) -> bytes:
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(importer.template(spec))).worksheets[0][1]]
    wb = openpyxl.Workbook()
    wb.active.append(headers)
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_reports_bad_rows_and_writes_only_the_valid_ones(hub):
    pid = project()
    ledger.add(act(pid, D(2026, 6, 5), "已登记的活动"), STAFF)
    spec = ledger.import_spec(pid)
    assert spec.fields == ledger.IMPORT_FIELDS and "project_id" not in spec.fields
    data = sheet(spec, [
        [D(2026, 7, 1), "文海社区", "活动室", "社区活动", "七月助餐", 10, 12, 2, None],   # row 2 valid
        [D(2026, 5, 20), "文海社区", "活动室", "社区活动", "开工前活动", 10, 12, 2, None],  # 3 before the period
        ["去年春天", "文海社区", "活动室", "社区活动", "日期不明", 10, 12, 2, None],       # 4 not a date
        [D(2026, 7, 2), "文海社区", "活动室", "小组活动", "人次不足", 20, 10, 1, None],    # 5 人次 < 人数
        [D(2026, 7, 3), "火星社区", "活动室", "社区活动", "社区不明", 10, 12, 0, None],    # 6 unknown community
        [D(2026, 7, 4), "高沙社区", None, "走访慰问", "入户走访", 8, 8, None, "雨天"],     # 7 valid
        [D(2026, 7, 1), "高沙社区", "活动室", "社区活动", "七月助餐", 3, 3, 0, None],      # 8 same as row 2
        [D(2026, 6, 5), "文海社区", "活动室", "社区活动", "已登记的活动", 10, 12, 2, None],  # 9 already stored
    ])
    plan = importer.plan(spec, data)
    by_row = {}
    for r in plan.report:
        by_row.setdefault(r.row_number, []).append((r.status, r.field, r.message))
    assert by_row[2] == [("有效", "", "")] and by_row[7] == [("有效", "", "")]
    assert by_row[3] == [("错误", "", PERIOD_MSG)]
    assert [s for s, _, _ in by_row[4]] == ["错误"] and by_row[4][0][1] == "活动日期"
    assert by_row[5] == [("错误", "服务人次", "服务人次不能少于参与人数")]
    assert [(s, f) for s, f, _ in by_row[6]] == [("错误", "服务社区")]
    assert by_row[8][0][:2] == ("文件内重复", "") and "第 2 行" in by_row[8][0][2]
    assert by_row[9][0][0] == "已存在"
    assert plan.counts == {"有效": 2, "错误": 4, "文件内重复": 1, "已存在": 1}

    mark = last_audit_id(hub)
    assert ledger.commit_import(spec, plan, STAFF) == 2
    stored = hub.fetch_all("SELECT project_id, activity_date, community, title, person_times, volunteers, notes"
                           " FROM activities WHERE title <> '已登记的活动' ORDER BY activity_date")
    assert stored == [
        {"project_id": pid, "activity_date": D(2026, 7, 1), "community": "文海社区", "title": "七月助餐",
         "person_times": 12, "volunteers": 2, "notes": None},
        {"project_id": pid, "activity_date": D(2026, 7, 4), "community": "高沙社区", "title": "入户走访",
         "person_times": 8, "volunteers": 0, "notes": "雨天"},
    ]
    assert [r["action"] for r in audit_rows(hub, mark)] == ["import", "import"]

    again = importer.plan(ledger.import_spec(pid), data)
    assert again.counts == {"已存在": 4, "错误": 4}  # row 8 now matches the stored row 2
    assert importer.commit(spec, again, STAFF) == 0
    assert count(hub) == 3


def test_import_spec_of_an_ended_or_unknown_project_is_refused(hub):
    pid = project()
    set_state(pid, "closed")
    with pytest.raises(ledger.ActivityRefused):
        ledger.import_spec(pid)
    with pytest.raises(NotFound):
        ledger.import_spec(9999)


# ---- photos ------------------------------------------------------------------------------------------

def test_a_photo_is_attached_and_counted(hub):
    pid = project()
    aid = ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    data = png()
    doc = ledger.attach_photo(aid, "现场照片.png", data, STAFF)
    stored = hub.fetch_one("SELECT owner_table, owner_id, filename, kind, size_bytes FROM documents WHERE id = ?", [doc])
    assert stored == {"owner_table": "activities", "owner_id": aid, "filename": "现场照片.png", "kind": "图片",
                      "size_bytes": len(data)}
    assert list(ledger.photos(aid)["id"]) == [doc]
    assert int(ledger.activities(pid).iloc[0]["photos"]) == 1


@pytest.mark.parametrize("name, make", [("照片.jpg", lambda: PDF), ("照片.png", lambda: b"just some text"),
                                        ("表格.png", xlsx)])
def test_anything_but_an_image_is_refused(hub, name, make):
    pid = project()
    aid = ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    mark = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        ledger.attach_photo(aid, name, make(), STAFF)
    accepted = "、".join(n for k, n in ledger.IMAGE_TYPES.items() if k in documents.ALLOWED)  # + WebP once allowed
    assert accepted.startswith("JPEG、PNG")
    assert info.value.fields == {"file": [f"活动照片只接受 {accepted} 图片;已按文件内容检查"]}
    assert count(hub, "documents") == 0 and last_audit_id(hub) == mark


def test_photo_size_limit_permission_and_unknown_activity(hub, monkeypatch):
    pid = project()
    aid = ledger.add(act(pid, D(2026, 7, 1)), STAFF)
    with pytest.raises(PermissionDenied):
        ledger.attach_photo(aid, "a.png", png(), REVIEWER)
    with pytest.raises(NotFound):
        ledger.attach_photo(9999, "a.png", png(), STAFF)
    monkeypatch.setenv("HUBDESK_UPLOAD_MAX_MB", "1")
    big = png() + b"\0" * (1024 * 1024)
    with pytest.raises(ValidationFailed) as info:
        ledger.attach_photo(aid, "big.png", big, STAFF)
    assert "上限为 1 MB" in info.value.fields["file"][0]
    assert count(hub, "documents") == 0


# ---- the list across projects ------------------------------------------------------------------------

def test_the_list_view_filters_by_community_kind_and_year(hub):
    a, b = project(1), project(2)
    ledger.add(act(a, D(2026, 6, 10), "入户探访", kind="上门服务"), STAFF)
    ledger.add(act(a, D(2026, 7, 10), "健康讲座", kind="讲座培训", community="高沙社区"), STAFF)
    ledger.add(act(b, D(2026, 8, 10), "邻里节", participants=30, person_times=30), STAFF)
    view = ledger.LIST_VIEW
    df, total, _ = listing.fetch_page(view, listing.Query())
    assert total == 3 and list(df["title"]) == ["邻里节", "健康讲座", "入户探访"]  # newest first
    agreement_b = hub.scalar("SELECT agreement_no FROM projects WHERE id = ?", [b])
    assert (df.iloc[0]["agreement_no"], df.iloc[0]["project"], int(df.iloc[0]["person_times"])) == (
        agreement_b, "幸福食堂助餐服务", 30)
    assert list(listing.fetch_all(view, listing.Query(filters={"community": ["高沙社区"]}))["title"]) == ["健康讲座"]
    assert list(listing.fetch_all(view, listing.Query(filters={"kind": ["上门服务"]}))["title"]) == ["入户探访"]
    assert len(listing.fetch_all(view, listing.Query(filters={"year": ["2026"]}))) == 3
    assert len(listing.fetch_all(view, listing.Query(filters={"year": ["2025"]}))) == 0
    assert list(listing.fetch_all(view, listing.Query(search="讲座"))["title"]) == ["健康讲座"]
    assert "2026" in view.filters[2].choices()
