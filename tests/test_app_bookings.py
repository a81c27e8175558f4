"""AppTest: 场地设备预约 (/bookings, staff and admins) and 场地日历与使用率 (/venue-calendar, also leaders, read only):
a booking typed into the form is stored 待审批; a clashing one is refused in Chinese naming the booking, keeps the
input and writes nothing; staff approve and refuse with a reason; the calendar and utilisation read in Chinese; a
leader reads the calendar but cannot open the booking screen; a reviewer opens neither."""
from __future__ import annotations

import datetime as dt

import pytest

from core.demo import res_bookings as demo
from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

NEW = "booking-new"
_LATER = dt.date.today() + dt.timedelta(days=20)  # after the demo's pending bookings (the coming fortnight)
DAY = _LATER + dt.timedelta(days=(2 - _LATER.weekday()) % 7)  # a Wednesday: the 云水 meeting room is open


@pytest.fixture
def booked(demo_db):
    """The demo database: its template holds the demo bookings and equipment (core.demo.resources)."""
    assert count("bookings") and count("equipment")
    return demo_db


def _open(user: str, roles: list[str], url: str = "bookings", **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, url)


def _venue(name="云水社区党群服务中心会议室") -> int:
    return db().scalar("SELECT id FROM venues WHERE name = ?", [name])


def _fill(at, start="09:00", end="11:00", purpose="社区议事协商会"):
    org = db().scalar("SELECT min(id) FROM organisations")
    at.selectbox(key=f"{NEW}::venue_id").set_value(_venue())
    at.selectbox(key=f"{NEW}::org_id").set_value(org)
    at.text_input(key=f"{NEW}::contact_person").input("王芳")
    at.text_input(key=f"{NEW}::purpose").input(purpose)
    at.date_input(key=f"{NEW}::booking_date").set_value(DAY)
    at.selectbox(key=f"{NEW}::start_time").set_value(start)
    at.selectbox(key=f"{NEW}::end_time").set_value(end)
    return at


def _submit(at):
    return at.button(key=f"FormSubmitter:{NEW}-提交预约").click().run()


def test_staff_book_a_venue_and_a_double_booking_is_refused_keeping_the_input(booked):
    at = _open("staff", ["staff"])
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["场地设备预约"]
    assert [t.label for t in at.tabs] == ["预约登记", "预约与审批", "预约日历", "使用率"]
    assert "待审批预约" in plain_texts(at)
    before = count("bookings")
    at = _submit(_fill(at))
    assert not at.exception, at.exception
    row = db().fetch_one("SELECT * FROM bookings ORDER BY id DESC LIMIT 1")
    assert count("bookings") == before + 1
    assert f"已提交预约(编号 {row['id']}),等待审批" in successes(at)
    assert (row["venue_id"], row["booking_date"], row["start_time"], row["end_time"], row["state"], row["created_by"]) \
        == (_venue(), DAY, "09:00", "11:00", "pending", "staff")

    at = _open("staff", ["staff"])
    at = _submit(_fill(at, "10:00", "12:00", "志愿者培训"))
    assert not at.exception
    assert "云水社区党群服务中心会议室在该时段已被预约" in errors(at) and f"预约编号 {row['id']}" in errors(at)
    assert count("bookings") == before + 1  # nothing written
    assert at.text_input(key=f"{NEW}::purpose").value == "志愿者培训"  # the input kept
    assert at.selectbox(key=f"{NEW}::start_time").value == "10:00"


def test_staff_approve_and_refuse_with_a_reason(booked):
    pending = db().fetch_all("SELECT id FROM bookings WHERE state = 'pending' ORDER BY id LIMIT 2")
    a, b = pending[0]["id"], pending[1]["id"]
    at = _open("staff", ["staff"], tab="预约与审批")
    assert not at.exception
    headers = list(at.dataframe[0].value.columns)
    assert headers[:6] == ["编号", "状态", "场地/设备", "使用日期", "开始时刻", "结束时刻"]
    assert not (at.dataframe[0].value.astype(str) == "None").any().any()
    at.selectbox(key="bk:pick").set_value(a).run()
    at.button(key=f"bk:approve:{a}").click().run()
    assert not at.exception
    assert db().scalar("SELECT state FROM bookings WHERE id = ?", [a]) == "approved"
    at.selectbox(key="bk:pick").set_value(b).run()
    at.button(key=f"FormSubmitter:bk:decide:{b}-不予批准").click().run()  # no reason: refused, nothing stored
    assert "原因" in errors(at) and db().scalar("SELECT state FROM bookings WHERE id = ?", [b]) == "pending"
    at.text_area(key=f"bk:reason:{b}").input("该时段已安排社区议事会")
    at.button(key=f"FormSubmitter:bk:decide:{b}-不予批准").click().run()
    assert db().fetch_one("SELECT state, reason, decided_by FROM bookings WHERE id = ?", [b]) == \
        {"state": "rejected", "reason": "该时段已安排社区议事会", "decided_by": "staff"}


def test_leaders_read_the_calendar_and_utilisation_but_book_nothing(booked):
    at = _open("leader", ["leader"], "venue-calendar")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["场地日历与使用率"]
    assert [t.label for t in at.tabs] == ["预约日历", "使用率"]
    assert not [b for b in at.button if "FormSubmitter" in (b.key or "")]
    week = at.table[0].value
    assert "场地" == week.index.name and all("周" in c for c in week.columns)
    assert "起一周" in " ".join(s.value for s in at.subheader)

    at = _open("leader", ["leader"], "venue-calendar", tab="使用率")
    assert not at.exception
    assert any(s.value.startswith("闲置场地(使用率低于 20%)") for s in at.subheader)
    assert "云水社区党群服务中心会议室" in plain_texts(at)
    df = at.dataframe[0].value
    assert list(df.columns) == ["场地名称", "所属社区", "每周开放时间", "开放小时数", "已预约小时数", "已批准预约(次)", "使用率"]
    assert not (df.astype(str) == "None").any().any()

    at = _open("leader", ["leader"], "bookings")
    assert [t.value for t in at.title] != ["场地设备预约"]
    assert count("bookings") == db().scalar("SELECT count(*) FROM bookings")


def test_the_month_calendar_of_a_venue(booked):
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)  # last month: the 四点半课堂 was booked
    at = _open("staff", ["staff"], "venue-calendar")
    at.radio(key="bk:view").set_value("按场地(月)").run()
    at.selectbox(key="bk:cal:venue").set_value(_venue("金沙湖社区四点半课堂"))
    at.number_input(key="bk:cal:year").set_value(last.year)
    at.selectbox(key="bk:cal:month").set_value(last.month).run()
    assert not at.exception
    assert f"金沙湖社区四点半课堂 · {last.year}年{last.month}月" in [s.value for s in at.subheader]
    month = at.table[0].value
    assert list(month.columns) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert month.index.name == "周次"
    cells = [str(c) for c in month["周三"]]
    assert any("15:30-17:30" in c and "四点半课堂课后托管(已批准)" in c for c in cells)
    assert not any("None" in str(c) or "nan" in str(c) for c in month.values.ravel())


def test_a_reviewer_opens_neither(booked):
    for url in ("bookings", "venue-calendar"):
        at = _open("reviewer1", ["reviewer"], url)
        assert "场地" not in " ".join(t.value for t in at.title)


def _equipment_workbook(rows: list[list]) -> bytes:
    import io

    from openpyxl import load_workbook

    from core.platform import admin, importer
    from core.resources.bookings import EQUIPMENT

    wb = load_workbook(io.BytesIO(importer.template(admin.import_spec(EQUIPMENT))))
    assert [c.value for c in wb["导入数据"][1]][:6] == ["设备名称*", "设备类别*", "数量*", "所属社区*", "管理单位*", "存放地点*"]
    for r in rows:
        wb["导入数据"].append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_equipment_register_lists_creates_and_imports(booked):
    at = _open("staff", ["staff"], "equipment")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["设备资源"] and [t.label for t in at.tabs] == ["列表", "新建", "导入"]
    df = at.dataframe[0].value
    assert list(df.columns) == ["编号", "设备名称", "设备类别", "数量", "所属社区", "存放地点", "管理单位"]
    assert len(df) == count("equipment") == len(demo.EQUIPMENT_ROWS)
    at.text_input(key="equipment:new::name").input("幸福社区折叠帐篷")
    at.selectbox(key="equipment:new::kind").set_value("桌椅帐篷")
    at.number_input(key="equipment:new::quantity").set_value(3)
    at.selectbox(key="equipment:new::community").set_value("幸福社区")
    at.text_input(key="equipment:new::owner").input("幸福社区居委会")
    at.text_input(key="equipment:new::kept_at").input("幸福社区储物间")
    at = at.button(key="FormSubmitter:equipment:new-登记").click().run()
    assert not at.exception
    assert db().fetch_one("SELECT quantity, created_by FROM equipment WHERE name = '幸福社区折叠帐篷'") == \
        {"quantity": 3, "created_by": "staff"}

    before = count("equipment")
    at = _open("staff", ["staff"], "equipment")
    at.file_uploader(key="equipment:import:file").set_value(("设备.xlsx", _equipment_workbook([
        ["白杨社区投影仪", "投影设备", 1, "白杨社区", "白杨社区居委会", "白杨社区活动室"],
        ["春晓社区音箱", "音响设备", "两个", "春晓社区", "春晓社区居委会", "春晓社区仓库"]]),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    assert "共 2 行:可导入 1 行,错误 1 行" in plain_texts(at)
    at.button(key="equipment:import:confirm").click().run()
    assert count("equipment") == before + 1
    assert db().scalar("SELECT kind FROM equipment WHERE name = '白杨社区投影仪'") == "投影设备"


def test_staff_record_the_activity_an_approved_booking_was_used_for(booked):
    from core.platform import records
    from core.platform.actor import SYSTEM
    from core.resources.bookings import BOOKING

    act = db().fetch_one("SELECT ac.id, ac.title, ac.activity_date, ap.org_id FROM activities ac"
                         " JOIN projects p ON p.id = ac.project_id JOIN applications ap ON ap.id = p.application_id"
                         " WHERE ac.venue_id IS NULL ORDER BY ac.activity_date DESC, ac.id LIMIT 1")
    with records.unit(SYSTEM) as u:
        bid = u.create(BOOKING, {"venue_id": _venue("高沙社区老年活动室"), "org_id": act["org_id"], "contact_person": "王芳",
                                 "purpose": act["title"], "booking_date": act["activity_date"], "start_time": "08:00",
                                 "end_time": "08:30"}, system={"state": "approved"})
    at = _open("staff", ["staff"], tab="预约与审批")
    at.selectbox(key="bk:pick").set_value(bid).run()
    at.selectbox(key=f"bk:act:{bid}").set_value(act["id"]).run()
    at.button(key=f"bk:use:{bid}").click().run()
    assert not at.exception
    assert "已登记使用情况,活动已关联该场地" in plain_texts(at)
    assert db().scalar("SELECT activity_id FROM bookings WHERE id = ?", [bid]) == act["id"]
    assert db().scalar("SELECT venue_id FROM activities WHERE id = ?", [act["id"]]) == _venue("高沙社区老年活动室")
