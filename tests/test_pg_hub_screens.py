"""Every screen for the demo network's accounts above and beside 下沙 (the city's admin, 钱塘区's leader, 白杨's
staff): each screen their role opens renders through ``Home.py`` with its title and no error, on whichever engine
the run uses (``tests/run.sh`` runs this file on PostgreSQL too, where each hub's scoped SQL is translated).

The demo accounts of 下沙 render every screen in tests/test_smoke_app.py and tests/test_access_matrix.py; these
three read through other hubs' scopes (a subtree of several hubs, or a street with few records of its own)."""
from __future__ import annotations

import pytest

from core.navigation import PAGES
from tests.apptest_helpers import errors, open_page, signed_in


@pytest.mark.parametrize("user, role", [("hz_admin", "admin"), ("qt_leader", "leader"), ("by_staff", "staff")])
def test_every_screen_renders_for_the_other_hubs_accounts(demo_db, user, role):
    at = signed_in(user, [role]).run()
    assert not at.exception, at.exception
    broken = {}
    for page in [p for p in PAGES if role in p.roles]:
        open_page(at, page.url_path)
        titles = [t.value for t in at.title]
        if at.exception or not titles or "无权" in errors(at):
            broken[page.key] = ([str(e.value)[:300] for e in at.exception], titles, errors(at)[:200])
    assert broken == {}
