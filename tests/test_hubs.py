"""枢纽网络 (core.orgs.hubs) and tenancy's foundation: the tree's rules (level and parent, no cycle), the subtree a
user reads, the hub the write path stamps on a new organisation, the refusal of a write outside the actor's own hub
(a district's roll-up is read-only), the scoped register, choice list, detail and export of organisations (street
staff against a district leader), the migration that puts an existing database under one default hub, and the demo
network."""
from __future__ import annotations

import shutil

import pytest

from core.orgs import communities, hubs, organisations
from core.platform import listing, migrate, records, users
from core.platform.actor import DEFAULT_HUB, SYSTEM, Actor, act_as
from core.platform.db import Database, close_all, get_db
from core.platform.errors import PermissionDenied, ValidationFailed
from schemas import choices
from tests.test_schema_organisation import filed_values

VIEW = organisations.LIST_VIEW


@pytest.fixture(autouse=True)
def providers():
    """The choice lists the hub and organisation forms check against (the app installs them at start)."""
    hubs.install_provider()
    organisations.install_providers()


def _hub(name: str, level: str, parent: int | None = None, actor: Actor = SYSTEM) -> int:
    return hubs.create({"name": name, "level": level, "parent_id": parent}, actor)


@pytest.fixture
def net(db):
    """杭州市 → 钱塘区 → 甲街道, 乙街道; 上城区 → 丙街道; an organisation in 甲 and in 乙 (by their own staff)."""
    hubs.ensure_default(db)
    city = _hub("杭州市枢纽", "市")
    qt = _hub("钱塘区枢纽", "区", city)
    sc = _hub("上城区枢纽", "区", city)
    a, b, c = _hub("甲街道中心", "街道", qt), _hub("乙街道中心", "街道", qt), _hub("丙街道中心", "街道", sc)
    n = {"db": db, "city": city, "qt": qt, "sc": sc, "a": a, "b": b, "c": c}
    n["staff_a"] = Actor("staff_a", ("staff",), hub_id=a, scope=hubs.subtree(a))
    n["staff_b"] = Actor("staff_b", ("staff",), hub_id=b, scope=hubs.subtree(b))
    n["qt_staff"] = Actor("qt_staff", ("staff",), hub_id=qt, scope=hubs.subtree(qt))
    n["org_a"] = organisations.create(filed_values(name="甲街道邻里互助队", filing_no="甲备字〔2024〕第001号"), n["staff_a"])
    n["org_b"] = organisations.create(filed_values(name="乙街道银龄互助会", filing_no="乙备字〔2024〕第001号"), n["staff_b"])
    return n


def _orgs(db) -> list[dict]:
    return db.fetch_all("SELECT * FROM organisations ORDER BY id")


# ---- the default hub --------------------------------------------------------------------------------------

def test_a_new_database_gets_one_street_hub_at_its_first_start(isolated):
    from core import app

    database = app.bootstrap()  # HUBDESK_DEMO=0: the communities and one admin account
    assert database.fetch_all("SELECT id, name, level, parent_id FROM hubs") == [
        {"id": DEFAULT_HUB, "name": "本中心", "level": "街道", "parent_id": None}]
    assert database.fetch_all("SELECT username, hub_id FROM users") == [{"username": "admin", "hub_id": DEFAULT_HUB}]
    assert hubs.manages(hubs.actor_for("admin", ("admin",)))  # the only hub has no parent: its admin is the top admin


def test_a_database_fresh_from_the_migrations_has_no_hub_until_its_first_start(db):
    assert db.scalar("SELECT count(*) FROM hubs") == 0  # empty, as a Parquet import needs it
    assert hubs.ensure_default(db) == DEFAULT_HUB and hubs.ensure_default(db) is None
    assert db.fetch_all("SELECT id, name, level, parent_id FROM hubs") == [
        {"id": DEFAULT_HUB, "name": "本中心", "level": "街道", "parent_id": None}]
    me = Actor("wangmin", ("staff",))
    assert (me.hub_id, me.scope, me.hubs) == (DEFAULT_HUB, frozenset({DEFAULT_HUB}), (DEFAULT_HUB,))
    org = organisations.create(filed_values(), me)
    assert db.scalar("SELECT hub_id FROM organisations WHERE id = ?", [org]) == DEFAULT_HUB
    users.create({"username": "lihua", "name": "李华", "roles": ["staff"], "active": True}, SYSTEM, db=db)
    assert db.scalar("SELECT hub_id FROM users WHERE username = 'lihua'") == DEFAULT_HUB
    assert hubs.membership("lihua") == (DEFAULT_HUB, frozenset({DEFAULT_HUB}))
    assert hubs.membership("nobody") == (DEFAULT_HUB, frozenset({DEFAULT_HUB}))
    assert SYSTEM.hubs is None and SYSTEM.reads(99) and SYSTEM.writes(99)


# ---- the tree ---------------------------------------------------------------------------------------------

def test_each_level_hangs_under_the_level_above(net):
    db = net["db"]
    before = db.fetch_all("SELECT * FROM hubs ORDER BY id")
    with pytest.raises(ValidationFailed) as info:
        _hub("丁街道中心", "街道", net["city"])
    assert "街道级枢纽的上级应是区级枢纽" in str(info.value.fields["parent_id"]) and "杭州市枢纽" in str(info.value.fields)
    with pytest.raises(ValidationFailed) as info:
        _hub("浦江区枢纽", "区", net["a"])
    assert "区级枢纽的上级应是市级枢纽" in str(info.value.fields["parent_id"])
    with pytest.raises(ValidationFailed) as info:
        _hub("宁波市枢纽", "市", net["city"])
    assert "市级枢纽没有上级枢纽" in str(info.value.fields["parent_id"])
    with pytest.raises(ValidationFailed) as info:
        _hub("戊街道中心", "街道", 9999)
    assert "请从列表中选择上级枢纽" in str(info.value.fields["parent_id"])
    with pytest.raises(ValidationFailed) as info:
        _hub("乱层级", "省")
    assert "层级" in str(info.value)
    assert db.fetch_all("SELECT * FROM hubs ORDER BY id") == before
    assert db.scalar("SELECT level FROM hubs WHERE id = ?", [_hub("宁波市枢纽", "市")]) == "市"


def test_no_hub_becomes_its_own_ancestor(net):
    db = net["db"]
    before = db.fetch_all("SELECT * FROM hubs ORDER BY id")
    # the city as a street under its own district: a cycle (refused before anything is written)
    with pytest.raises(ValidationFailed) as info:
        hubs.update(net["city"], {"level": "街道", "parent_id": net["qt"]}, SYSTEM)
    assert "不能成环" in str(info.value.fields["parent_id"])
    # a district with streets below cannot become a street itself
    with pytest.raises(ValidationFailed) as info:
        hubs.update(net["qt"], {"level": "街道", "parent_id": net["sc"]}, SYSTEM)
    assert "下级枢纽" in str(info.value.fields["level"])
    assert db.fetch_all("SELECT * FROM hubs ORDER BY id") == before
    # moving a street to another district is allowed
    assert hubs.update(net["b"], {"parent_id": net["sc"]}, SYSTEM)
    assert hubs.subtree(net["sc"]) == {net["sc"], net["b"], net["c"]}


def test_the_subtree_is_the_hub_and_everything_below_it(net):
    assert hubs.subtree(net["city"]) == {net[k] for k in ("city", "qt", "sc", "a", "b", "c")}
    assert hubs.subtree(net["qt"]) == {net["qt"], net["a"], net["b"]}
    assert hubs.subtree(net["a"]) == {net["a"]}
    assert hubs.subtree(424242) == frozenset()


def test_only_the_top_admin_writes_hubs(net):
    db = net["db"]
    top = Actor("top", ("admin",), hub_id=net["city"], scope=hubs.subtree(net["city"]))
    street_admin = Actor("street_admin", ("admin",), hub_id=net["a"])
    before = db.fetch_all("SELECT * FROM hubs ORDER BY id")
    with pytest.raises(PermissionDenied, match="只有最上级枢纽"):
        _hub("丁街道中心", "街道", net["qt"], street_admin)
    with pytest.raises(PermissionDenied, match="无权"):
        _hub("丁街道中心", "街道", net["qt"], net["staff_a"])
    with pytest.raises(PermissionDenied, match="只有最上级枢纽"):
        hubs.update(net["a"], {"address": "改地址"}, street_admin)
    assert db.fetch_all("SELECT * FROM hubs ORDER BY id") == before
    assert not hubs.manages(street_admin) and not hubs.manages(net["staff_a"]) and hubs.manages(top)
    new = _hub("丁街道中心", "街道", net["qt"], top)
    assert db.fetch_one("SELECT parent_id, created_by FROM hubs WHERE id = ?", [new]) == {
        "parent_id": net["qt"], "created_by": "top"}
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'hubs' AND row_key = ?", [str(new)]) == 1


def test_the_network_always_keeps_a_top_admin(db):
    hubs.ensure_default(db)
    city = _hub("杭州市枢纽", "市")
    qt = _hub("钱塘区枢纽", "区", city)
    users.create({"username": "boss", "name": "主任", "roles": ["admin"], "active": True}, SYSTEM, db=db)
    top = Actor("boss", ("admin",))  # the admin of 本中心, a hub without a parent
    # 本中心 joining the network under 钱塘区 would leave no admin at a hub without a parent
    with pytest.raises(ValidationFailed, match="没有最上级枢纽的管理员"):
        hubs.update(DEFAULT_HUB, {"parent_id": qt}, top)
    assert hubs.get(DEFAULT_HUB)["parent_id"] is None
    assert hubs.assign_user("boss", city, top)  # first the admin moves to the city's hub
    assert db.scalar("SELECT hub_id FROM users WHERE username = 'boss'") == city
    boss = hubs.actor_for("boss", ("admin",), db)
    assert (boss.hub_id, boss.scope) == (city, {city, qt})
    assert hubs.update(DEFAULT_HUB, {"parent_id": qt}, boss)
    assert hubs.subtree(city) == {city, qt, DEFAULT_HUB}


# ---- the write path -----------------------------------------------------------------------------------------

def test_a_new_organisation_belongs_to_its_creators_hub(net):
    db = net["db"]
    assert db.scalar("SELECT hub_id FROM organisations WHERE id = ?", [net["org_a"]]) == net["a"]
    assert db.scalar("SELECT hub_id FROM organisations WHERE id = ?", [net["org_b"]]) == net["b"]
    rows = [filed_values(name=f"甲街道批量组织{i}", filing_no=f"甲备字〔2024〕第10{i}号") for i in range(3)]
    keys = records.create_many(organisations.ORGANISATION, rows, net["staff_a"])
    assert {r["hub_id"] for r in db.fetch_all(f"SELECT hub_id FROM organisations WHERE id IN {tuple(keys)}")} == {net["a"]}
    # the system (an import, the demo) names the hub
    other = records.create(organisations.ORGANISATION, filed_values(name="丙街道组织", filing_no="丙备字〔2024〕第001号"),
                           SYSTEM, system={"hub_id": net["c"]})
    assert db.scalar("SELECT hub_id FROM organisations WHERE id = ?", [other]) == net["c"]


def test_a_write_outside_the_actors_own_hub_is_refused_and_changes_nothing(net):
    db = net["db"]
    before, audit_rows = _orgs(db), db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(PermissionDenied) as info:
        organisations.update(net["org_a"], {"notes": "乙改甲"}, net["staff_b"])
    assert "只能新建和修改本枢纽的记录" in str(info.value) and "乙街道中心" in str(info.value)
    assert "甲街道邻里互助队" not in str(info.value)  # another street's record is not named to them
    # a district's user reads its streets' records but never writes them (read-only roll-up)
    with pytest.raises(PermissionDenied) as info:
        organisations.update(net["org_a"], {"notes": "区里改"}, net["qt_staff"])
    assert "甲街道邻里互助队" in str(info.value) and "上级枢纽查看下级的汇总数据只读" in str(info.value)
    with pytest.raises(PermissionDenied):
        records.delete(organisations.ORGANISATION, net["org_a"], net["qt_staff"])
    with pytest.raises(PermissionDenied):  # nor does anyone create a row in another hub
        records.create(organisations.ORGANISATION, filed_values(name="冒名组织", filing_no="甲备字〔2024〕第009号"),
                       net["qt_staff"], system={"hub_id": net["a"]})
    with pytest.raises(PermissionDenied):  # nor move their own row away
        records.update(organisations.ORGANISATION, net["org_b"], {}, net["staff_b"], system={"hub_id": net["a"]})
    assert _orgs(db) == before and db.scalar("SELECT count(*) FROM audit_log") == audit_rows
    assert organisations.update(net["org_a"], {"notes": "本枢纽修改"}, net["staff_a"])


# ---- scoped reads -------------------------------------------------------------------------------------------

def test_street_staff_read_their_own_register_and_a_district_reads_its_streets(net):
    db = net["db"]
    c_org = records.create(organisations.ORGANISATION, filed_values(name="丙街道组织", filing_no="丙备字〔2024〕第001号"),
                           SYSTEM, system={"hub_id": net["c"]})
    names = {r["id"]: r["name"] for r in _orgs(db)}

    def listed(actor) -> list[int]:
        df, total, _ = listing.fetch_page(VIEW, listing.Query(hubs=actor.hubs, page_size=100), db)
        assert total == len(df)
        return sorted(df["id"].tolist())

    def exported(actor) -> list[int]:
        return sorted(listing.fetch_all(VIEW, listing.Query(hubs=actor.hubs), db)["id"].tolist())

    def offered(actor) -> list[int]:
        act_as(actor)
        try:
            return sorted(choices.get("orgs"))
        finally:
            act_as(None)

    a, b, qt = net["staff_a"], net["staff_b"], net["qt_staff"]
    assert listed(a) == exported(a) == offered(a) == [net["org_a"]]
    assert listed(b) == exported(b) == offered(b) == [net["org_b"]]
    assert listed(qt) == exported(qt) == offered(qt) == sorted([net["org_a"], net["org_b"]])
    assert [n for _, n in organisations.options(actor=a)] == [names[net["org_a"]]]
    assert sorted(i for i, _ in organisations.options(actor=qt)) == sorted([net["org_a"], net["org_b"]])
    # the detail: another hub's record is not found
    assert organisations.get(net["org_b"], actor=a) is None
    assert organisations.get(net["org_a"], actor=qt)["name"] == "甲街道邻里互助队"
    assert organisations.get(c_org, actor=qt) is None
    # no actor (start-up, core, the system): every hub
    assert sorted(choices.get("orgs")) == sorted(names)
    assert listing.fetch_page(VIEW, listing.Query(page_size=100), db)[1] == len(names)
    assert listing.fetch_page(VIEW, listing.Query(hubs=()), db)[1] == 0
    # a form's check of what was submitted uses the same scoped list
    act_as(a)
    try:
        assert net["org_b"] not in choices.allowed("orgs") and net["org_a"] in choices.allowed("orgs")
    finally:
        act_as(None)


def test_the_tree_counts_each_hubs_organisations_and_accounts(net):
    db = net["db"]
    admin_a = Actor("admin_a", ("admin",), hub_id=net["a"])  # a new account belongs to its creator's hub
    users.create({"username": "lihua", "name": "李华", "roles": ["staff"], "active": True}, admin_a, db=db)
    frame = hubs.tree(None, db)
    rows = {r["id"]: r for r in frame.to_dict("records")}
    assert [r["level"] for r in frame.to_dict("records")][:2] == ["市", "区"]
    assert rows[net["a"]]["orgs"] == 1 and rows[net["a"]]["users"] == 1 and rows[net["a"]]["parent"] == "钱塘区枢纽"
    assert rows[net["a"]]["tree"].strip().endswith("甲街道中心") and rows[net["a"]]["tree"].startswith("\u3000")
    order = frame["id"].tolist()
    at = order.index(net["qt"])
    assert set(order[at + 1:at + 3]) == {net["a"], net["b"]}  # each hub right under its parent
    assert set(hubs.tree(net["qt_staff"], db)["id"]) == {net["qt"], net["a"], net["b"]}


# ---- upgrading an existing database ---------------------------------------------------------------------------

def test_an_existing_database_is_upgraded_with_everything_under_the_default_hub(isolated, tmp_path, monkeypatch):
    old_dir = tmp_path / "migrations-023"
    shutil.copytree(migrate.MIGRATIONS_DIR, old_dir)
    for path in old_dir.glob("*.sql"):
        if int(path.name[:3]) >= 24:
            path.unlink()
    path = tmp_path / "old.duckdb"
    current_dir = migrate.MIGRATIONS_DIR
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", old_dir)
    old = Database(path)
    migrate.apply(old)
    with old.transaction() as tx:  # what an older version stored: accounts and organisations, no hubs
        tx.execute("INSERT INTO communities (name, sort_order) VALUES ('文海社区', 0), ('高沙社区', 1)")
        tx.execute("INSERT INTO users (username, name, password_hash, roles) VALUES ('admin', '管理员', 'x', ['admin']),"
                   " ('staff', '工作人员', 'x', ['staff'])")
        tx.execute("INSERT INTO organisations (name, kind, filing_no, contact_person, contact_phone, community, stage,"
                   " active) VALUES ('老组织甲', '社区社会组织(备案)', '下沙备字〔2020〕第001号', '王芳', '138 5710 0000',"
                   " '文海社区', '初创期', true), ('老组织乙', '社区社会组织(备案)', '下沙备字〔2020〕第002号', '李红',"
                   " '138 5710 0001', '高沙社区', '成长期', true)")
    old.close()
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", current_dir)  # this version opens the old file
    monkeypatch.setenv("HUBDESK_DB", str(path))
    close_all()
    db = get_db()
    assert 24 in migrate.applied(db)
    assert db.fetch_all("SELECT id, name, level, parent_id FROM hubs") == [
        {"id": DEFAULT_HUB, "name": "本中心", "level": "街道", "parent_id": None}]
    assert db.fetch_all("SELECT username, hub_id FROM users ORDER BY username") == [
        {"username": "admin", "hub_id": 1}, {"username": "staff", "hub_id": 1}]
    assert [r["hub_id"] for r in _orgs(db)] == [1, 1]
    staff = hubs.actor_for("staff", ("staff",), db)
    communities.install_provider()
    assert listing.fetch_page(VIEW, listing.Query(hubs=staff.hubs), db)[1] == 2
    first = _orgs(db)[0]["id"]
    assert organisations.update(first, {"notes": "升级后仍可修改"}, staff)
    assert migrate.apply(db) == []


# ---- the demo network -------------------------------------------------------------------------------------------

def test_the_demo_network_puts_xiasha_under_qiantang_and_generates_other_streets(demo_db):
    from core.demo import hubs as demo_hubs

    db = demo_db
    tree = {r["name"]: r for r in db.fetch_all(
        "SELECT h.id, h.name, h.level, p.name AS parent FROM hubs h LEFT JOIN hubs p ON p.id = h.parent_id")}
    assert tree["下沙街道社会组织发展服务中心"]["id"] == DEFAULT_HUB
    assert tree["下沙街道社会组织发展服务中心"]["parent"] == "钱塘区社会组织服务中心"
    assert tree["钱塘区社会组织服务中心"]["parent"] == "杭州市社会组织服务中心"
    assert {n for n, r in tree.items() if r["level"] == "区"} == {
        "钱塘区社会组织服务中心", "上城区社会组织服务中心", "西湖区社会组织服务中心"}
    assert tree["白杨街道社会组织服务中心"]["parent"] == "钱塘区社会组织服务中心"
    assert len([r for r in tree.values() if r["level"] == "街道"]) == 5
    counts = {r["hub_id"]: r["n"] for r in db.fetch_all("SELECT hub_id, count(*) AS n FROM organisations GROUP BY hub_id")}
    assert counts[DEFAULT_HUB] == 55  # the case study's whole register stays 下沙's
    for street, *_ in demo_hubs.STREETS:
        assert counts[tree[street]["id"]] == demo_hubs.ORGS_PER_STREET
    # every other demo record still points at 下沙's organisations
    assert db.scalar("SELECT count(*) FROM applications a JOIN organisations o ON o.id = a.org_id"
                     " WHERE o.hub_id <> ?", [DEFAULT_HUB]) == 0
    homes = {r["username"]: r["hub"] for r in db.fetch_all(
        "SELECT u.username, h.name AS hub FROM users u JOIN hubs h ON h.id = u.hub_id")}
    assert homes["admin"] == homes["staff"] == homes["leader"] == "下沙街道社会组织发展服务中心"
    assert homes["qt_leader"] == "钱塘区社会组织服务中心" and homes["by_staff"] == "白杨街道社会组织服务中心"
    assert homes["hz_admin"] == "杭州市社会组织服务中心"
    leader = hubs.actor_for("qt_leader", ("leader",), db)
    assert leader.scope == {tree[n]["id"] for n in ("钱塘区社会组织服务中心", "下沙街道社会组织发展服务中心",
                                                    "白杨街道社会组织服务中心")}
    before = (db.scalar("SELECT count(*) FROM hubs"), len(_orgs(db)), db.scalar("SELECT count(*) FROM users"))
    # each other street keeps its own communities (028), which its organisations serve
    for street, _district, _short, names in demo_hubs.STREETS:
        assert communities.names(db, hubs=(tree[street]["id"],)) == list(names)
        assert {r["community"] for r in db.fetch_all("SELECT community FROM organisations WHERE hub_id = ?",
                                                     [tree[street]["id"]])} <= set(names)
    assert len(communities.names(db, hubs=(DEFAULT_HUB,))) == 21
    assert demo_hubs.load(db) == {"hubs": 0, "accounts": 0, "communities": 0, "network_organisations": 0,
                                  "network_trainings": 0, "district_experts": 0, "district_partners": 0}
    assert (db.scalar("SELECT count(*) FROM hubs"), len(_orgs(db)), db.scalar("SELECT count(*) FROM users")) == before
    assert demo_hubs.organisation_rows() == demo_hubs.organisation_rows()
