"""资源库 bookings (core.resources.bookings): conflicts refused in Chinese naming the clashing booking and writing
nothing (venue: no overlap; equipment: the quantity at any moment), two threads booking the same slot (one wins),
approval by staff with audited state moves, use recorded against the ledger (the activity names its venue), the
calendars, utilisation from the venues' weekly hours (idle venues), and the demo loader's figures."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from core.demo import res_bookings as demo
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.errors import PermissionDenied, ValidationFailed
from core.resources import bookings
from core.resources.bookings import BookingRefused

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
DAY = dt.date.today() + dt.timedelta(days=3 + (4 - (dt.date.today() + dt.timedelta(days=3)).weekday()) % 7)  # a Friday


def _venue(name="文海社区邻里中心多功能厅") -> int:
    return get_db().scalar("SELECT id FROM venues WHERE name = ?", [name])


def _org(n: int = 0) -> int:
    return get_db().fetch_all("SELECT id FROM organisations ORDER BY id LIMIT 2")[n]["id"]


def _values(**kw) -> dict:
    v = {"venue_id": _venue(), "org_id": _org(), "contact_person": "王芳", "purpose": "亲子阅读活动",
         "booking_date": DAY, "start_time": "09:00", "end_time": "11:00", "expected_people": 20}
    v.update(kw)
    return v


def _count() -> int:
    return get_db().scalar("SELECT count(*) FROM bookings")


def _audits(key) -> list[dict]:
    return get_db().fetch_all("SELECT action, note FROM audit_log WHERE table_name = 'bookings' AND row_key = ?"
                              " ORDER BY id", [str(key)])


def test_a_venue_slot_is_booked_once_and_an_overlap_is_refused_naming_the_booking(demo_db):
    first = bookings.book(_values(), STAFF)
    row = get_db().fetch_one("SELECT * FROM bookings WHERE id = ?", [first])
    assert row["state"] == "pending" and row["created_by"] == "staff" and row["quantity"] == 1
    n = _count()
    with pytest.raises(BookingRefused) as exc:
        bookings.book(_values(org_id=_org(1), start_time="10:30", end_time="12:00", purpose="理事会会议"), STAFF)
    text = str(exc.value)
    assert "文海社区邻里中心多功能厅在该时段已被预约" in text and f"预约编号 {first}" in text
    assert "09:00-11:00「亲子阅读活动」(待审批)" in text and "请另选时段或场地" in text
    assert _count() == n  # nothing written
    # touching ends is no overlap; another venue the same hour is free
    bookings.book(_values(start_time="11:00", end_time="12:00"), STAFF)
    bookings.book(_values(venue_id=_venue("高沙社区老年活动室")), STAFF)
    # a refused or cancelled booking frees its slot
    bookings.cancel(first, "活动改期", STAFF)
    again = bookings.book(_values(start_time="10:00", end_time="11:00"), STAFF)
    assert get_db().scalar("SELECT state FROM bookings WHERE id = ?", [again]) == "pending"


def test_form_checks_are_chinese_and_write_nothing(demo_db):
    n = _count()
    with pytest.raises(ValidationFailed) as exc:
        bookings.book(_values(start_time="11:00", end_time="10:00"), STAFF)
    assert "结束时刻须晚于开始时刻" in str(exc.value.fields) + str(exc.value.form)
    with pytest.raises(ValidationFailed) as exc:
        bookings.book(_values(venue_id=None), STAFF)
    assert "请选择预约场地或预约设备(二选一)" in str(exc.value.fields) + str(exc.value.form)
    with pytest.raises(ValidationFailed) as exc:
        bookings.book(_values(booking_date=dt.date.today() - dt.timedelta(days=1)), STAFF)
    assert exc.value.fields == {"booking_date": ["使用日期不能早于今天"]}
    with pytest.raises(ValidationFailed) as exc:  # the hall opens 周一至周五 8:30-17:30
        bookings.book(_values(venue_id=_venue("下沙街道社会组织服务中心报告厅"), start_time="17:00", end_time="18:30"), STAFF)
    assert exc.value.fields == {"start_time": ["下沙街道社会组织服务中心报告厅的开放时间为周一至周五 08:30-17:30,"
                                               "所选周五 17:00-18:30不在开放时间内,请另选时段"]}
    with pytest.raises(ValidationFailed, match="不在开放时间内"):
        bookings.book(_values(venue_id=_venue("下沙街道社会组织服务中心报告厅"),
                              booking_date=DAY + dt.timedelta(days=1)), STAFF)  # a Saturday
    with pytest.raises(PermissionDenied):
        bookings.book(_values(), LEADER)
    assert _count() == n


def test_equipment_quantity_over_overlapping_slots_never_exceeds_the_stock(demo_db):
    kit = records.create(bookings.EQUIPMENT, {"name": "测试音响", "kind": "音响设备", "quantity": 3, "community": "文海社区",
                                              "owner": "文海社区居委会", "kept_at": "储物间"}, STAFF)
    eq = dict(venue_id=None, equipment_id=kit)
    bookings.book(_values(**eq, quantity=2, start_time="09:00", end_time="10:00"), STAFF)
    bookings.book(_values(**eq, quantity=2, start_time="10:00", end_time="12:00"), STAFF)
    # 09:30-10:30 overlaps both, but never more than 2 at once: 2 + 1 = 3 fits
    bookings.book(_values(**eq, quantity=1, start_time="09:30", end_time="10:30"), STAFF)
    n = _count()
    with pytest.raises(BookingRefused) as exc:  # 10:00: 2 + 1 already out, one more is too many
        bookings.book(_values(**eq, quantity=1, start_time="10:00", end_time="11:00"), STAFF)
    assert "测试音响共3件,10:00起已借出3件" in str(exc.value) and "请减少数量或另选时段" in str(exc.value)
    with pytest.raises(ValidationFailed) as exc:
        bookings.book(_values(**eq, quantity=4, start_time="14:00", end_time="15:00"), STAFF)
    assert exc.value.fields == {"quantity": ["借用数量不能超过该设备的总数(3件)"]}
    assert _count() == n


def test_two_people_booking_the_same_slot_at_once_one_wins(demo_db):
    barrier = threading.Barrier(2)
    out: list = []

    def go(user: str, org: int) -> None:
        barrier.wait()
        try:
            out.append(("ok", bookings.book(_values(org_id=org), Actor(user, ("staff",)))))
        except BookingRefused as exc:
            out.append(("refused", str(exc)))

    threads = [threading.Thread(target=go, args=(u, _org(i))) for i, u in enumerate(("staff", "admin"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(k for k, _ in out)
    assert kinds == ["ok", "refused"]
    won = next(v for k, v in out if k == "ok")
    assert f"预约编号 {won}" in next(v for k, v in out if k == "refused")
    assert get_db().scalar("SELECT count(*) FROM bookings WHERE booking_date = ? AND venue_id = ?",
                           [DAY, _venue()]) == 1


def test_approval_rejection_and_cancelling_are_staff_moves_and_audited(demo_db):
    a = bookings.book(_values(), STAFF)
    b = bookings.book(_values(start_time="14:00", end_time="16:00"), STAFF)
    with pytest.raises(PermissionDenied):
        bookings.approve(a, LEADER)
    bookings.approve(a, ADMIN)
    row = get_db().fetch_one("SELECT * FROM bookings WHERE id = ?", [a])
    assert row["state"] == "approved" and row["decided_by"] == "admin" and row["decided_at"] is not None
    with pytest.raises(BookingRefused, match="该预约已批准,不能批准"):
        bookings.approve(a, STAFF)
    with pytest.raises(ValidationFailed):  # a reason is required
        bookings.reject(b, "", STAFF)
    assert get_db().scalar("SELECT state FROM bookings WHERE id = ?", [b]) == "pending"
    bookings.reject(b, "该时段已安排社区议事会", STAFF)
    assert get_db().fetch_one("SELECT state, reason FROM bookings WHERE id = ?", [b]) == \
        {"state": "rejected", "reason": "该时段已安排社区议事会"}
    with pytest.raises(BookingRefused, match="该预约未批准,不能取消"):
        bookings.cancel(b, "活动改期", STAFF)
    bookings.cancel(a, "活动改期", STAFF)
    assert [x["action"] for x in _audits(a)] == ["create", "update", "update"]
    assert [x["note"] for x in _audits(a)][1:] == ["批准", "取消"]
    assert [x["note"] for x in _audits(b)][1:] == ["不予批准"]


def test_use_is_recorded_against_the_ledger_and_the_activity_names_the_venue(demo_db):
    db = get_db()
    act = db.fetch_one("SELECT ac.id, ac.activity_date, ac.project_id, ap.org_id FROM activities ac"
                       " JOIN projects p ON p.id = ac.project_id JOIN applications ap ON ap.id = p.application_id"
                       " ORDER BY ac.activity_date DESC, ac.id LIMIT 1")
    venue = _venue("云水社区党群服务中心会议室")
    with records.unit(Actor("system", ("system",)), db) as u:  # a past approved booking (as the demo has them)
        bid = u.create(bookings.BOOKING, _values(venue_id=venue, org_id=act["org_id"], booking_date=act["activity_date"],
                                                 project_id=act["project_id"]), system={"state": "approved"})
    pending = bookings.book(_values(), STAFF)
    with pytest.raises(BookingRefused, match="只有已批准的预约才能登记使用情况"):
        bookings.record_use(pending, act["id"], STAFF)
    assert act["id"] in bookings.activities_for(bid)
    other = db.fetch_one("SELECT id, activity_date FROM activities WHERE activity_date <> ? LIMIT 1",
                         [act["activity_date"]])
    with pytest.raises(BookingRefused, match="与预约使用日期"):
        bookings.record_use(bid, other["id"], STAFF)
    bookings.record_use(bid, act["id"], STAFF)
    assert db.scalar("SELECT activity_id FROM bookings WHERE id = ?", [bid]) == act["id"]
    assert db.scalar("SELECT venue_id FROM activities WHERE id = ?", [act["id"]]) == venue
    listed = bookings.bookings(venue_id=venue)
    assert listed.loc[listed["id"] == bid, "activity"].iloc[0]


def test_weekly_hours_are_read_from_the_text_or_the_structured_fields():
    assert bookings.parse_hours("周一至周五 8:30-17:30") == (["周一", "周二", "周三", "周四", "周五"], "08:30", "17:30")
    assert bookings.parse_hours("周六、周日 9:00-12:00") == (["周六", "周日"], "09:00", "12:00")
    assert bookings.parse_hours("预约开放") is None
    v = {"opening_hours": "周一至周五 8:30-17:30", "open_days": ["周六"], "open_from": "09:00", "open_to": "11:00"}
    assert bookings.weekly_hours(v) == (["周六"], "09:00", "11:00")
    monday = dt.date(2026, 12, 7)
    assert bookings.open_hours({"opening_hours": "周一至周五 8:30-17:30"}, monday, monday + dt.timedelta(days=6)) == 45
    assert bookings.day_label(monday) == "2026年12月7日 周一"


FREE_WEEK = 35  # days ahead: past the demo's bookings waiting for approval (the coming fortnight)


def test_utilisation_and_idle_venues(demo_db):
    db = get_db()
    monday = bookings.week_start(dt.date.today()) + dt.timedelta(days=FREE_WEEK)
    sunday = monday + dt.timedelta(days=6)
    hall = _venue("下沙街道社会组织服务中心报告厅")  # 周一至周五 8:30-17:30: 45 open hours a week
    for i, (s, e) in enumerate((("09:00", "12:00"), ("14:00", "16:00"))):
        bid = bookings.book(_values(venue_id=hall, booking_date=monday + dt.timedelta(days=i), start_time=s,
                                    end_time=e), STAFF)
        bookings.approve(bid, STAFF)
    bookings.book(_values(venue_id=hall, booking_date=monday + dt.timedelta(days=3)), STAFF)  # pending: not counted
    df = bookings.utilisation(monday, sunday)
    row = df[df["venue_id"] == hall].iloc[0]
    assert (row["open_hours"], row["booked_hours"], row["bookings"]) == (45.0, 5.0, 2)
    assert row["rate"] == pytest.approx(5 / 45, abs=1e-4) and row["weekly"] == "周一至周五 08:30-17:30"
    idle = bookings.idle_venues(monday, sunday, 0.10)
    assert hall not in set(idle["venue_id"]) and len(idle) == len(df) - 1  # every other venue is unused
    assert hall in set(bookings.idle_venues(monday, sunday, 0.20)["venue_id"])


def test_calendars_show_the_slots_with_chinese_dates(demo_db):
    monday = bookings.week_start(dt.date.today()) + dt.timedelta(days=FREE_WEEK)
    bid = bookings.book(_values(booking_date=monday + dt.timedelta(days=1)), STAFF)
    org = get_db().scalar("SELECT name FROM organisations WHERE id = ?", [_org()])
    week = bookings.community_week("文海社区", monday)
    tuesday = f"{(monday + dt.timedelta(days=1)).month}月{(monday + dt.timedelta(days=1)).day}日 周二"
    assert list(week.columns)[0] == "场地" and list(week.columns)[2] == tuesday
    row = week[week["场地"] == "文海社区邻里中心多功能厅"].iloc[0]
    assert row[tuesday] == f"09:00-11:00 {org} 亲子阅读活动(待审批)"
    d = monday + dt.timedelta(days=1)
    month = bookings.venue_month(_venue(), d.year, d.month)
    assert list(month.columns) == ["周次", "周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert f"{d.day}日\n09:00-11:00 {org} 亲子阅读活动(待审批)" in set(month["周二"])
    bookings.cancel(bid, "活动改期", STAFF)  # a cancelled booking leaves the calendar
    assert bookings.community_week("文海社区", monday).set_index("场地").loc["文海社区邻里中心多功能厅", tuesday] == ""


def test_the_demo_loader_books_the_venues_for_the_ledgers_activities(demo_db):
    db = get_db()  # the demo template holds what the loader left (core.demo.resources, the build's last step)
    stored = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("equipment", "bookings", "audit_log")}
    assert stored["equipment"] == len(demo.EQUIPMENT_ROWS)
    assert stored["bookings"] > 50
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'bookings'") == stored["bookings"]
    linked = db.fetch_all("SELECT b.venue_id, b.booking_date, b.org_id, ac.venue_id AS act_venue, ac.activity_date,"
                          " ap.org_id AS act_org FROM bookings b JOIN activities ac ON ac.id = b.activity_id"
                          " JOIN projects p ON p.id = ac.project_id JOIN applications ap ON ap.id = p.application_id")
    assert len(linked) == db.scalar("SELECT count(*) FROM activities WHERE venue_id IS NOT NULL") > 10
    assert all(r["venue_id"] == r["act_venue"] and r["booking_date"] == r["activity_date"]
               and r["org_id"] == r["act_org"] for r in linked)
    # no clash among the slots that hold (venues)
    assert db.scalar("SELECT count(*) FROM bookings a JOIN bookings b ON a.venue_id = b.venue_id AND a.id < b.id"
                     " AND a.booking_date = b.booking_date AND a.start_time < b.end_time AND b.start_time < a.end_time"
                     " AND a.state IN ('pending', 'approved') AND b.state IN ('pending', 'approved')") == 0
    states = {r["state"]: r["n"] for r in db.fetch_all("SELECT state, count(*) AS n FROM bookings GROUP BY state")}
    assert states.get("pending", 0) >= 5 and states.get("rejected", 0) >= 1 and states.get("cancelled", 0) >= 1
    assert db.scalar("SELECT count(*) FROM venues WHERE open_days IS NULL") == 0
    today = dt.date.today()
    df = bookings.utilisation(today - dt.timedelta(days=90), today)
    idle = bookings.idle_venues(today - dt.timedelta(days=90), today, 0.10)
    assert "云水社区党群服务中心会议室" in set(idle["name"]) and "金沙湖社区四点半课堂" not in set(idle["name"])
    assert df["rate"].notna().all()
    assert demo.load(db) == {}  # once: a second run adds nothing
    assert {t: db.scalar(f"SELECT count(*) FROM {t}") for t in stored} == stored


def test_an_activity_of_the_ledger_can_name_its_venue(demo_db):
    from core.monitoring import ledger

    db = get_db()
    p = db.fetch_one("SELECT id, communities[1] AS community FROM projects WHERE state = 'active'"
                     " AND start_date <= current_date AND end_date >= current_date ORDER BY id LIMIT 1")
    values = {"project_id": p["id"], "activity_date": dt.date.today(), "community": p["community"],
              "kind": "小组活动", "title": "睦邻议事小组", "participants": 12, "person_times": 12,
              "venue_id": _venue("高沙社区老年活动室")}
    aid = ledger.add(values, STAFF)
    assert db.scalar("SELECT venue_id FROM activities WHERE id = ?", [aid]) == _venue("高沙社区老年活动室")
    with pytest.raises(ValidationFailed):  # a venue that does not exist
        ledger.add(dict(values, title="另一个小组", venue_id=999_999), STAFF)
    aid2 = ledger.add(dict(values, title="没有场地的小组", venue_id=None), STAFF)
    assert db.scalar("SELECT venue_id FROM activities WHERE id = ?", [aid2]) is None
