"""Issue 17: the screen benchmark (``bench/screens.py``) measures every registered screen.

Its spec builder runs against the demo database: each screen of ``core.navigation.PAGES`` has at least one
spec, as a role that may open it, signed in as an active account holding that role; the screens every role
has are measured once per role; each screen names the table its after-write step writes; the screens that
show one record open a record that exists. No timing is measured or asserted here."""
from __future__ import annotations

from core import navigation
from core.platform import users


def test_every_registered_screen_has_a_spec_with_a_role_allowed_to_open_it(demo_db):
    from bench import screens

    specs = screens.specs(demo_db)
    by_page: dict[str, list[dict]] = {}
    for s in specs:
        by_page.setdefault(s["page"], []).append(s)
    assert set(by_page) == {p.key for p in navigation.PAGES}
    for p in navigation.PAGES:
        assert p.key in screens.WRITE_FOR, f"{p.key}: which table does its after-write step write?"
        for s in by_page[p.key]:
            assert s["url"] == p.url_path
            assert navigation.allowed(p.key, [s["role"]]), (p.key, s["role"])
            assert s["username"], (p.key, s["role"])
            assert s["role"] in (users.active_roles(s["username"], demo_db) or ()), (p.key, s["username"])
    for key in ("home", "account"):
        assert sorted(s["role"] for s in by_page[key]) == sorted(navigation.ALL_ROLES)
    assert {s["role"] for p in navigation.PAGES if p.target.startswith("pages.dashboards:")
            for s in by_page[p.key]} == {"leader"}
    assert [s["role"] for s in by_page["my_reviews"]] == ["reviewer"]
    for key in ("rounds", "users", "audit", "monitoring_policy"):
        assert [s["role"] for s in by_page[key]] == ["admin"]

    # the detail screens open a stored record (the busiest one)
    (app,) = by_page["application"]
    assert demo_db.scalar("SELECT count(*) FROM applications WHERE id = ?", [int(app["query"]["id"])]) == 1
    (project,) = by_page["project"]
    assert demo_db.scalar("SELECT count(*) FROM projects WHERE id = ?", [int(project["query"]["id"])]) == 1
    (entry,) = by_page["activity_entry"]
    assert demo_db.scalar("SELECT state FROM projects WHERE id = ?", [int(entry["query"]["project"])]) == "active"
    (task,) = by_page["my_reviews"]
    assert demo_db.scalar("SELECT reviewer FROM assignments WHERE id = ?", [int(task["query"]["task"])]) \
        == task["username"]
    for key, param in (("org_support", "id"), ("lifecycle", "id"), ("assessments", "org")):
        (s,) = by_page[key]
        assert demo_db.scalar("SELECT count(*) FROM organisations WHERE id = ?", [int(s["query"][param])]) == 1
