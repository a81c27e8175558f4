"""The dashboards on a DuckDB snapshot of PostgreSQL (``HUBDESK_ANALYTICS=snapshot``, core/platform/snapshot.py): a
write is not in the snapshot's figures until the next refresh and is after it; a refresh copies only the tables whose
version moved; after a refresh the figures equal the live ones, scoped to a hub and not; a reader during a refresh sees
the old snapshot or the new one, never a mix; the freshness caption; live mode routes nothing.

Also here: ``move-to-postgres`` leaves the planner its statistics (ANALYZE). Each test makes its own PostgreSQL
database (tests/pg_cluster.py), so it runs in the default run, as test_pg_move.py and test_pg_backup.py do (in
``PG_SUITES`` it would only run the same again); skipped when PostgreSQL is not installed (failing under CI=true)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from core.dashboards import dashboard
from core.orgs import hubs, organisations
from core.platform import export, snapshot
from core.platform.actor import SYSTEM, Actor
from core.platform.db import close_all, get_db
from core.platform.errors import PermissionDenied
from tests.conftest import pg_cluster_or_skip
from tests.test_pg_backup import pg_hub  # noqa: F401 - the fixture pg_db builds on
from tests.test_rounds import make_org, org_values, uscc_for

ADMIN = Actor("admin", ("admin",))


@pytest.fixture
def pg_db(pg_hub, monkeypatch):
    """A PostgreSQL database with the 21 demo communities and the default hub as HUBDESK_DB (test_pg_backup's
    ``pg_hub``), HUBDESK_ANALYTICS=snapshot; the PgDatabase."""
    monkeypatch.setenv("HUBDESK_ANALYTICS", "snapshot")
    db = pg_hub[0]
    hubs.ensure_default(db)
    yield db
    snapshot.stop_all()


def _registered(f: dashboard.Filters, db) -> int:
    k = dashboard.run("kpi_organisations", f, db).set_index("key")
    return int(k.loc["registered", "value"])


def test_a_write_counts_after_the_refresh_and_only_moved_tables_are_copied(pg_db):
    make_org(1)
    snap = snapshot.start(pg_db, thread=False)
    assert dashboard.run("kpi_organisations", None, pg_db) is not None  # before the first refresh: live
    assert snapshot.analytics_db(pg_db) is pg_db
    first = snap.refresh()
    assert snapshot.analytics_db(pg_db) is snap.db
    assert "organisations" in first.copied and "hubs" in first.copied and "audit_log" not in first.copied
    assert len(first.copied) == len(snap._types) >= 60  # every table the first time
    assert all(snap._column_types(t) == snap._types[t] for t in first.copied)  # the migrations' columns and types
    assert snap.db.scalar("SELECT count(*) FROM users WHERE password_hash <> ''") == 0  # no password hash copied
    # the copy holds the same rows as PostgreSQL, value for value
    live, copy = export.engine_sums(pg_db), export.engine_sums(snap.db)
    for t in first.copied:
        assert copy[t] == live[t] or t == "users", t  # users: the same, but for the password hashes left out

    f = dashboard.Filters()
    assert _registered(f, pg_db) == 1
    make_org(2)  # a write on PostgreSQL
    assert _registered(f, pg_db) == 1  # the snapshot's figure: not yet
    assert pg_db.scalar("SELECT count(*) FROM organisations") == 2
    second = snap.refresh()
    assert set(second.copied) == {"organisations"}  # only the table the write moved (the audit log is not copied)
    assert second.copied["organisations"] == 2
    assert _registered(f, pg_db) == 2  # after the refresh: counted
    assert snap.refresh().copied == {}  # nothing moved: nothing copied


def test_scoped_and_unscoped_figures_equal_the_live_ones_after_a_refresh(pg_db, monkeypatch):
    other = hubs.create({"name": "白杨街道中心", "level": "街道", "parent_id": None}, SYSTEM)
    staff = Actor("staff_b", ("staff",), hub_id=other)
    make_org(1)
    make_org(2)
    organisations.create(org_values(name="白杨街道邻里互助会", uscc=uscc_for("51", 7)), staff)
    snap = snapshot.start(pg_db, thread=False)
    snap.refresh()
    for hubs_kept in (None, (1,), (other,)):
        f = dashboard.Filters(hubs=hubs_kept)
        for name in ("kpi_organisations", "kpi_funding", "community_coverage"):
            got = dashboard.run(name, f, pg_db)
            monkeypatch.setattr(snapshot, "analytics_db", lambda db=None: db)  # live, for the comparison
            want = dashboard.run(name, f, pg_db)
            monkeypatch.undo()
            assert got.to_dict("records") == want.to_dict("records"), (name, hubs_kept)
        assert len(dashboard.drill("kpi_organisations", f, {"key": "registered"}, pg_db)) == \
            {None: 3, (1,): 2, (other,): 1}[hubs_kept]
    assert _registered(dashboard.Filters(hubs=(other,)), pg_db) == 1


def test_a_reader_during_a_refresh_sees_the_old_or_the_new_snapshot_never_a_mix(pg_db):
    for k in range(1, 4):
        make_org(k)
    snap = snapshot.start(pg_db, thread=False)
    snap.refresh()
    organisations.create(org_values(name="下沙街道测试社会组织第9号", uscc=uscc_for("51", 9)), ADMIN)
    hubs.create({"name": "新街道中心", "level": "街道", "parent_id": None}, SYSTEM)  # a second table moves too
    seen, done = set(), threading.Event()

    def reader() -> None:
        while not done.is_set():
            with snap.db.read() as cur:
                cur.execute("BEGIN TRANSACTION")
                seen.add(cur.execute("SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM hubs)"
                                     ).fetchone())
                cur.execute("ROLLBACK")

    t = threading.Thread(target=reader)
    t.start()
    try:
        r = snap.refresh()
    finally:
        done.set()
        t.join()
    assert set(r.copied) == {"organisations", "hubs"}
    seen.add(tuple(snap.db.fetch_one("SELECT (SELECT count(*) FROM organisations) o, (SELECT count(*) FROM hubs) h")
                   .values()))
    assert seen <= {(3, 1), (4, 2)} and (4, 2) in seen  # old or new, never 4 organisations with 1 hub (or empty)


def test_the_caption_and_the_admins_refresh(pg_db):
    snap = snapshot.start(pg_db, thread=False)
    pending = snapshot.freshness(pg_db)
    assert pending.as_of is None and "正在首次生成" in snapshot.caption(pending) and "实时" in snapshot.caption(pending)
    fr = snapshot.Freshness(dt.datetime(2026, 12, 8, 12, 3, 5), 60.0)
    assert snapshot.caption(fr, dt.datetime(2026, 12, 8, 12, 4, 10)) == \
        "数据截至 12:03:05(约 1 分钟前,每 60 秒更新;刚保存的修改将在下次更新后计入)"
    assert snapshot.caption(fr, dt.datetime(2026, 12, 8, 12, 3, 7)).startswith("数据截至 12:03:05(刚刚,每 60 秒更新;")
    assert snapshot.caption(snapshot.Freshness(fr.as_of, 300.0), dt.datetime(2026, 12, 9, 9, 0, 0)).startswith(
        "数据截至 2026-12-08 12:03:05(约 21 小时前,每 5 分钟更新;")
    with pytest.raises(PermissionDenied, match="只有管理员"):
        snapshot.refresh_now(Actor("leader", ("leader",)), pg_db)
    assert snapshot.refresh_now(ADMIN, pg_db).startswith("已更新:复制了")
    assert snapshot.freshness(pg_db).as_of is not None
    assert snapshot.refresh_now(ADMIN, pg_db).startswith("已检查:上次更新后没有数据变化")
    audit_rows = pg_db.scalar("SELECT count(*) FROM audit_log")
    make_org(1)
    assert "复制了 1 张有变化的表" in snapshot.refresh_now(ADMIN, pg_db)
    assert pg_db.scalar("SELECT count(*) FROM audit_log") == audit_rows + 1  # the write's row; the refresh wrote none
    path = snap.path
    snapshot.stop_all()
    assert not path.exists() and snapshot.freshness(pg_db) is None  # stopped: its file gone, the dashboards live


def test_live_mode_routes_nothing(pg_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_ANALYTICS", "live")
    assert snapshot.start(pg_db, thread=False) is None
    assert snapshot.analytics_db(pg_db) is pg_db and snapshot.freshness(pg_db) is None


def test_move_to_postgres_leaves_the_planner_its_statistics(db, isolated, monkeypatch):
    """``move-to-postgres`` runs ANALYZE after its commit (bench/RESULTS-pg-100x.md: 10.2x DuckDB's time without)."""
    if getattr(db, "dialect", "duckdb") == "postgres":
        pytest.skip("the move's source is a DuckDB file: the default run")
    cluster = pg_cluster_or_skip()
    monkeypatch.setenv("HUBDESK_DATA_DIR", str(isolated))
    name = cluster.create()
    try:
        target = get_db(cluster.url(name))
        assert target.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'communities'") == 0
        export.move_database(db, target)
        assert target.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'communities'") >= 2
    finally:
        close_all()
        cluster.drop(name)


def test_the_dashboards_say_how_fresh_the_snapshot_is_and_admins_refresh_it(demo_db, monkeypatch):
    """The screens' wiring (AppTest on the demo): the caption of a snapshot's figures, 立即更新 for an admin only and
    what it says; the snapshot itself is the tests' above (here its answers are given)."""
    from tests.apptest_helpers import open_page, plain, signed_in

    as_of = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=65)
    monkeypatch.setattr(snapshot, "freshness", lambda db=None: snapshot.Freshness(as_of, 60.0))
    asked = []
    said = "已检查:上次更新后没有数据变化,数据截至 12:00:00。"
    monkeypatch.setattr(snapshot, "refresh_now", lambda actor, db=None: asked.append(actor.username) or said)
    caption = f"数据截至 {as_of:%H:%M:%S}(约 1 分钟前,每 60 秒更新;刚保存的修改将在下次更新后计入)"
    leader = open_page(signed_in("leader", ["leader"]).run(), "dashboard-overview")
    assert any(plain(c.value).startswith(caption) for c in leader.caption), [c.value for c in leader.caption][:3]
    assert "立即更新" not in [b.label for b in leader.button]
    admin = open_page(signed_in("admin", ["admin"]).run(), "dashboard-overview")
    assert any(plain(c.value).startswith(caption) for c in admin.caption)
    admin.button(key="dash:snapshot:refresh").click().run()
    assert asked == ["admin"] and [plain(s.value) for s in admin.success] == [said]
