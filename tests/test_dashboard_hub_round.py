"""The funnel's "current round" is one of the reader's hubs' (issue 20's isolation): 白杨's staff's 会议大屏 named
下沙's 2026 round when its rotation reached the funnel (found by tests/test_hub_sweep.py on a day the slot came up)."""
from __future__ import annotations

from core.dashboards import dashboard
from core.orgs import hubs


def test_the_current_round_is_the_readers_hubs(demo_db):
    _, baiyang = hubs.membership("by_staff", demo_db)
    _, xiasha = hubs.membership("staff", demo_db)
    theirs = {r["id"] for r in demo_db.fetch_all("SELECT id FROM rounds WHERE hub_id IN (SELECT unnest(?::INTEGER[]))",
                                                 [sorted(xiasha)])}
    assert theirs
    f = dashboard.Filters(hubs=tuple(sorted(baiyang))).resolved()
    cur = dashboard.current_round(f, demo_db)
    assert cur is None or cur["id"] not in theirs
    assert dashboard.current_round(dashboard.Filters(hubs=tuple(sorted(baiyang)), round_id=min(theirs)).resolved(),
                                   demo_db) is None  # another hub's round asked for by id: nothing of it
    mine = dashboard.current_round(dashboard.Filters(hubs=tuple(sorted(xiasha))).resolved(), demo_db)
    assert mine is not None and mine["id"] in theirs
    funnel = dashboard.run("funnel", f, demo_db)
    assert not any(str(v).startswith("2026年下沙") for v in funnel.astype(str).to_numpy().ravel())
