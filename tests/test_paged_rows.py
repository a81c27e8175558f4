"""Reports page in the database (issue 17: at a city's scale a report has thousands of rows; a screen sends
only the page it shows): ``listing.Rows`` cuts the page with LIMIT/OFFSET, and the screens that list every
rated organisation, every account, every expert show one page with its count and a page number."""
from __future__ import annotations

import pytest

from core.incubation import lifecycle
from core.platform import listing
from tests.apptest_helpers import open_page, signed_in, texts


def _statements(db):
    """The SQL a Database runs (fetch_df is what Rows calls), recorded."""
    seen = []
    original = db.fetch_df

    def recording(sql, params=None):
        seen.append(sql)
        return original(sql, params)

    return seen, recording


def test_rows_cut_each_page_in_the_database_positional_and_named(demo_db, monkeypatch):
    from core.platform.db import get_db

    db = get_db()
    rows = listing.Rows("SELECT id, name FROM organisations WHERE active", "name, id")
    every = rows.all(db)
    assert rows.count(db) == len(every) > 12
    seen, recording = _statements(db)
    monkeypatch.setattr(db, "fetch_df", recording)
    first, total, number = rows.page(1, 5, db)
    second, _, _ = rows.page(2, 5, db)
    last, _, clamped = rows.page(999, 5, db)  # a page past the end serves the last one
    assert (total, number, clamped) == (len(every), 1, -(-len(every) // 5))
    assert first["id"].tolist() + second["id"].tolist() == every["id"].tolist()[:10]
    assert last["id"].tolist() == every["id"].tolist()[(clamped - 1) * 5:]
    assert all("LIMIT ? OFFSET ?" in sql for sql in seen)  # never every row fetched for a page
    named = lifecycle.current_rating_rows()  # $today: named parameters
    page, total, _ = named.page(1, 3, db)
    assert total == len(lifecycle.current_ratings()) and len(page) == min(3, total)
    assert page["id"].tolist() == lifecycle.current_ratings()["id"].tolist()[:3]


def _ratings(at):
    """The 全部评级组织 table (the one with the 晋级申请 column)."""
    return next(d.value for d in at.dataframe if "晋级申请" in d.value.columns)


def test_the_ratings_screen_shows_one_page_with_its_count(demo_db, monkeypatch):
    monkeypatch.setenv("HUBDESK_PAGE_SIZE", "4")
    total = len(lifecycle.current_ratings())
    assert total > 4
    at = open_page(signed_in("staff", ["staff"]).run(), "incubation-ratings")
    at.query_params["tab"] = "等级到期与晋级"
    at.run()
    assert not at.exception
    shown = _ratings(at)
    assert len(shown) == 4
    pages = -(-total // 4)
    assert f"共 {total} 条,第 1/{pages} 页(每页 4 条)" in texts(at)
    first = shown["组织名称"].tolist()
    at.number_input(key="life:ratings:page").set_value(2).run()
    second = _ratings(at)
    assert f"共 {total} 条,第 2/{pages} 页(每页 4 条)" in texts(at)
    expected = lifecycle.current_ratings()["name"].tolist()
    assert first == expected[:4] and second["组织名称"].tolist() == expected[4:8]
