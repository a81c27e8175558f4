"""The access matrix, generated at run time from the pages registry (``core.navigation.PAGES``) and the
write path (the roles and row rules declared on every entity in ``core.registry.ENTITIES``), so a new screen
or entity is in it the moment it is declared.

(a) role x screen: every allowed screen renders through ``Home.py`` for a signed-in session; every
    forbidden one is not registered (a visit to its URL shows a Chinese no-access notice) and calling the screen
    function directly shows "无权" and writes nothing.
(b) role x entity x create/update/delete through ``core.platform.records``: the roles the entity declares for the
    action (or a row rule for) pass the permission check, every other role gets ``PermissionDenied`` and
    nothing is written.
(c) the registry is coherent: a screen never declares an entity that none of its roles may write (a
    screen that could never save), and a screen a leader opens declares no writes beyond the user's own
    account.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core import navigation
from core.platform import entities, records
from core.platform.actor import Actor
from core.registry import all_entities
from core.platform.errors import HubError, NotFound, PermissionDenied
from core.navigation import ALL_ROLES, PAGES
from tests.apptest_helpers import errors, known_urls, open_page, registered_urls, signed_in

USERS = {"admin": "admin", "staff": "staff", "reviewer": "expert", "leader": "leader"}  # demo accounts
ENTITIES = {e.name: e for e in all_entities()}



def _may_try(actor: Actor, entity, action: str) -> bool:
    """What the write path lets past its role check: the actor's roles for ``action``, or a row rule of the
    entity for one of them (the rule then judges each row; tests/test_permissions.py covers every rule)."""
    return entities.granted(actor, entity, action) or any(r.applies(actor, action) for r in entity.rules)


def _can_write(role: str, entity) -> bool:
    """Some write of ``entity`` is open to ``role`` (as the screens ask it: ``core.platform.entities.may``)."""
    return any(entities.may(Actor(f"matrix_{role}", (role,)), entity, a) for a in entities.ACTIONS)


AUDITOR_TABLES = ("security_events", "user_sessions")  # what opening screens may write: events, sessions


def _footprint(db) -> tuple[int, ...]:
    """Rows in the audit log and in every entity's table (nothing written = nothing changes), leaving out
    the auditor's own records (an access refused is logged by design)."""
    tables = sorted({e.table for e in ENTITIES.values()} - set(AUDITOR_TABLES))
    sql = " UNION ALL ".join(f"SELECT {i} AS i, count(*) AS n FROM {t}" for i, t in enumerate(tables))
    counts = [r["n"] for r in sorted(db.fetch_all(sql), key=lambda r: r["i"])]
    audit_rows = db.scalar("SELECT count(*) FROM audit_log WHERE table_name NOT IN ('security_events', 'user_sessions')")
    return (int(audit_rows), *counts)


# ---- (c) the registry itself ---------------------------------------------------------------------

def test_the_matrix_is_generated_from_the_registries():
    assert len(PAGES) >= 30 and len(ENTITIES) >= 40
    assert set(USERS) == set(ALL_ROLES)
    for page in PAGES:
        assert set(page.roles) <= set(ALL_ROLES), page.key
        for name in page.writes:
            assert name in ENTITIES, f"{page.key} declares an unknown entity {name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.key)
def test_no_screen_declares_a_write_none_of_its_roles_may_make(page):
    for name in page.writes:
        entity = ENTITIES[name]
        assert any(_can_write(r, entity) for r in page.roles), \
            f"「{page.title}」({page.key}) declares {name}, which none of {page.roles} may write"


@pytest.mark.parametrize("page", [p for p in PAGES if p.writes], ids=lambda p: p.key)
def test_every_role_of_a_writing_screen_can_save_something_on_it(page):
    """A screen that declares writes saves something for each role that opens it (a round's settings
    on 决定与公示 are the admin's; the staff there still decide and handle objections)."""
    for role in page.roles:
        assert any(_can_write(role, ENTITIES[name]) for name in page.writes), (page.key, role)


@pytest.mark.parametrize("page", [p for p in PAGES if "leader" in p.roles], ids=lambda p: p.key)
def test_leader_screens_declare_no_writes_but_the_own_account(page):
    for name in page.writes:
        assert ENTITIES[name].owner_may_set or name in OWN_ROW_ONLY, f"「{page.title}」 is open to leaders and declares {name}"


# entities keyed by the username whose row rule lets an account write its own row only (tests/test_notify.py)
OWN_ROW_ONLY = {"notification_pref"}


def test_the_checks_above_catch_a_bad_registry(monkeypatch):
    """A new leader screen that writes, or a screen declaring an entity nobody on it may write, fails."""
    bad = navigation.PageSpec("x", "测试", "pages.home:render", "x-test", ("leader",), "首页",
                              writes=("organisation",))
    with pytest.raises(AssertionError):
        test_leader_screens_declare_no_writes_but_the_own_account(bad)
    with pytest.raises(AssertionError):
        test_no_screen_declares_a_write_none_of_its_roles_may_make(bad)
    reviewer_rounds = navigation.PageSpec("y", "测试", "pages.home:render", "y-test", ("reviewer",), "首页",
                                          writes=("round",))
    with pytest.raises(AssertionError):
        test_no_screen_declares_a_write_none_of_its_roles_may_make(reviewer_rounds)


# ---- (a) role x screen ---------------------------------------------------------------------------

def _screen_runner():
    """One AppTest that calls a screen function directly (no Home.py, no navigation) for the session
    seeded in session state; the target is read from session state, so one AppTest serves every screen."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from core import app, navigation
        from core.ui import screens

        app.bootstrap()
        screens.target(navigation.spec(st.session_state["_target"]))()

    return AppTest.from_function(script, default_timeout=60)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_screen_for_every_role(demo_db, role):
    user = USERS[role]
    allowed = [p for p in PAGES if role in p.roles]
    forbidden = [p for p in PAGES if role not in p.roles]
    assert allowed, role

    at = signed_in(user, [role]).run()
    # exactly the allowed screens are registered (the default one under the site's root URL)
    assert registered_urls(at) == {"" if p.default else p.url_path for p in allowed}
    before = _footprint(demo_db)
    for page in allowed:
        open_page(at, page.url_path)
        assert not at.exception, (page.key, [e.value for e in at.exception])
        assert "无权" not in errors(at), page.key
        titles = [t.value for t in at.title]
        assert titles, page.key
        # the screen itself, not the workbench a refused URL falls back to (the meeting screen shows the
        # title of the dashboard view on screen; the import screen says what it imports)
        assert page.default or titles != ["工作台"], page.key
        assert any(t.startswith(page.title) for t in titles) or page.key == "dash_meeting", (page.key, titles)
    assert known_urls(at) == {p.url_path for p in PAGES} | {"", "login"}  # /workbench too (goes to "/")
    for page in forbidden:
        open_page(at, page.url_path)  # its URL answers with a Chinese notice, nothing of the screen
        assert not at.exception, page.key
        assert [t.value for t in at.title] == ["无权访问"], page.key
        assert "无权打开此页面" in errors(at), page.key
        logged = demo_db.fetch_one("SELECT username, kind, detail FROM security_events ORDER BY id DESC LIMIT 1")
        assert logged["kind"] == "access_refused" and logged["username"] == user, page.key
        assert f"/{page.url_path}" in logged["detail"], page.key
    assert _footprint(demo_db) == before

    direct = _screen_runner()
    for k, v in {"authentication_status": True, "username": user, "name": user, "roles": [role]}.items():
        direct.session_state[k] = v
    for page in forbidden:
        direct.session_state["_target"] = page.key
        direct.run()
        assert not direct.exception, page.key
        assert "无权" in errors(direct), f"{page.key} called directly by {role} does not refuse"
        assert not direct.title, page.key  # nothing of the screen was drawn
    assert _footprint(demo_db) == before


def test_a_signed_out_session_gets_no_screen_called_directly(demo_db):
    direct = _screen_runner()
    before = _footprint(demo_db)
    for page in PAGES:
        direct.session_state["_target"] = page.key
        direct.run()
        assert not direct.exception, page.key
        assert "请先登录" in "\n".join(w.value for w in direct.warning), page.key
        assert not direct.title, page.key
    assert _footprint(demo_db) == before


# ---- (b) role x entity x action through core.platform.records -----------------------------------------------

@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_entity_and_action_for_every_role(demo_db, role):
    db = demo_db
    actor = Actor(f"matrix_{role}", (role,))
    checked = 0
    for entity in ENTITIES.values():
        missing_key = "没有这条记录" if not entity.key_generated else -424242
        actions = {
            # permission first, then the (empty) batch: an allowed role writes nothing either
            "create": lambda e=entity: records.create_many(e, [], actor),
            # permission first, then the record is looked up: NotFound for an allowed role
            "update": lambda e=entity: records.update(e, missing_key, {}, actor),
            "delete": lambda e=entity: records.delete(e, missing_key, actor),
        }
        for action, call in actions.items():
            before = _footprint(db)
            if _may_try(actor, entity, action):
                try:
                    result = call()
                except PermissionDenied as exc:  # pragma: no cover - the failure message says it all
                    pytest.fail(f"{role} may write {entity.name} but {action} was refused: {exc}")
                except NotFound:
                    assert action != "create"
                else:
                    assert action == "create" and result == []
            else:
                with pytest.raises(PermissionDenied) as info:
                    call()
                assert "无权" in str(info.value)
            assert _footprint(db) == before, (role, entity.name, action)
            checked += 1
    assert checked == 3 * len(ENTITIES)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_refused_role_is_refused_before_validation_and_with_real_values(demo_db, role):
    """Real values, not just empty ones: a role without the right gets PermissionDenied even for a
    record that would be valid, and for a change of a stored row; nothing is written."""
    db = demo_db
    actor = Actor(f"matrix_{role}", (role,))
    for entity in ENTITIES.values():
        if all(_may_try(actor, entity, a) for a in entities.ACTIONS):
            continue
        row = db.fetch_one(f"SELECT * FROM {entity.table} ORDER BY {entity.key} LIMIT 1")
        if row is None:
            continue
        before = _footprint(db)
        values = {k: v for k, v in row.items() if k not in (entity.key, "created_at", "created_by",
                                                            "updated_at", "updated_by")}
        for action, call in (("create", lambda: records.create(entity, values, actor)),
                             ("update", lambda: records.update(entity, row[entity.key], values, actor)),
                             ("delete", lambda: records.delete(entity, row[entity.key], actor))):
            if _may_try(actor, entity, action) or (entity.owner_may_set and row[entity.key] == actor.username):
                continue
            with pytest.raises(PermissionDenied):
                call()
        if not _may_try(actor, entity, "update"):
            with pytest.raises(PermissionDenied):
                with records.unit(actor) as u:
                    u.update(entity, row[entity.key], values)
        assert _footprint(db) == before, (role, entity.name)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_owner_sets_only_the_owner_fields_of_their_own_row(demo_db, role):
    """``owner_may_set`` (the account's password hash): the owner may set those on their own row, never
    other columns (roles, active) and never on someone else's row."""
    from core.platform import passwords, users

    me = USERS[role]
    other = next(u for u in USERS.values() if u != me)
    actor = Actor(me, (role,))
    for entity in (e for e in ENTITIES.values() if e.owner_may_set):
        new_hash = passwords.hash_password("Owner-path-2026")
        before = _footprint(demo_db)
        if not entities.granted(actor, entity, "update"):
            with pytest.raises(PermissionDenied):
                records.update(entity, other, {}, actor, system={"password_hash": new_hash})
            with pytest.raises(PermissionDenied):
                records.update(entity, me, {}, actor, system={"roles": ["admin"]})
            with pytest.raises(PermissionDenied):
                records.update(entity, me, {"active": True, "name": "改名"}, actor)
        assert _footprint(demo_db) == before
        assert records.update(entity, me, {}, actor, system={"password_hash": new_hash},
                              touch={"updated_at": dt.datetime.now()})
        assert users.get(me)["password_hash"] == new_hash
        assert users.active_roles(me) == (role,)


def test_the_owner_writes_of_reviewers_hold_and_stay_their_own(demo_db):
    """The reviewer's row rules are real: a reviewer declares no conflict on and scores their own
    assignment (the rows are written, audited under their name), and is refused on another reviewer's
    assignment with nothing written."""
    from core.intake import rubrics
    from core.review import assignment, reviews

    db = demo_db
    task = db.fetch_one(
        "SELECT s.id, s.reviewer, a.round_id FROM assignments s JOIN applications a ON a.id = s.application_id"
        " LEFT JOIN reviews v ON v.assignment_id = s.id JOIN rounds r ON r.id = a.round_id"
        " WHERE s.status = 'assigned' AND a.state IN ('under_review', 're_review') AND r.scores_locked_at IS NULL"
        " AND (v.status IS NULL OR v.status = 'draft') ORDER BY s.id LIMIT 1")
    assert task is not None, "the demo data has an open review task"
    me = Actor(task["reviewer"], ("reviewer",))
    stranger = Actor("expert_not_assigned", ("reviewer",))
    before = _footprint(db)
    for call in (lambda: assignment.confirm_no_conflict(task["id"], stranger),
                 lambda: assignment.recuse(task["id"], "与申报组织有关联", stranger),
                 lambda: reviews.save(task["id"], {}, stranger)):
        with pytest.raises(PermissionDenied):
            call()
    assert _footprint(db) == before

    last = int(db.scalar("SELECT max(id) FROM audit_log"))
    assignment.confirm_no_conflict(task["id"], me)
    crit = rubrics.criteria(task["round_id"])
    values = {f"score_{c['id']}": float(c["max_score"]) for c in crit} | {"recommendation": "推荐"}
    reviews.save(task["id"], values, me, today=dt.date.today())
    review = reviews.review_of(task["id"])
    assert review is not None and review["reviewer"] == me.username
    assert int(db.scalar("SELECT count(*) FROM review_scores WHERE review_id = ?", [review["id"]])) == len(crit)
    written = db.fetch_all("SELECT actor, table_name FROM audit_log WHERE id > ?", [last])
    assert {r["table_name"] for r in written} == {"assignments", "reviews", "review_scores"}
    assert {r["actor"] for r in written} == {me.username}
    ruled = {name for name, e in ENTITIES.items() if any(r.roles == {"reviewer"} for r in e.rules)}
    assert ruled == {"review", "review_score", "assignment"}


def test_reviewer_screens_reach_only_their_own_tasks(demo_db):
    """The one screen a reviewer writes from lists only their own assignments."""
    from core.review import reviews

    db = demo_db
    reviewer = db.scalar("SELECT reviewer FROM assignments ORDER BY id LIMIT 1")
    mine = reviews.my_assignments(reviewer)
    assert len(mine) > 0
    owners = {r["reviewer"] for r in db.fetch_all(
        f"SELECT reviewer FROM assignments WHERE id IN ({','.join('?' * len(mine))})",
        [int(x) for x in mine["assignment_id"]])}
    assert owners == {reviewer}


def test_hub_errors_are_chinese():
    for e in ENTITIES.values():
        with pytest.raises(PermissionDenied) as info:
            records.create_many(e, [], Actor("nobody", ()))
        assert isinstance(info.value, HubError) and "无权修改" in str(info.value)
