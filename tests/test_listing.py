"""The organisation list view on the demo data: search, filters, sort and pages, all as bound SQL.

Expected rows are computed in Python from the whole table, independently of the SQL under test."""
from __future__ import annotations

import pandas as pd
import pytest

from core.orgs import organisations
from core.platform import listing
from core.platform.actor import Actor
from core.platform.listing import Query
from tests.test_schema_organisation import filed_values

VIEW = organisations.LIST_VIEW


@pytest.fixture
def demo_db(demo_db):
    """The list's mechanics on the case study's register (下沙's 55 organisations, hub 1): the demo network's other
    street centres' organisations (core/demo/hubs.py) are left out of this copy."""
    with demo_db.transaction() as tx:
        tx.execute("DELETE FROM organisations WHERE hub_id <> 1")
    return demo_db


@pytest.fixture
def rows(demo_db) -> list[dict]:
    return demo_db.fetch_all("SELECT * FROM organisations ORDER BY id")


def ids(q: Query, db) -> list[int]:
    return listing.fetch_all(VIEW, q, db)["id"].tolist()


def plain_rows(df: pd.DataFrame) -> list[dict]:
    """Rows with every missing value as None (a page whose column is all empty has another dtype)."""
    return [{k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in r.items()}
            for r in df.astype(object).to_dict("records")]


def incubation(r: dict) -> str:
    if r["incubation_in"] is None:
        return "未入壳"
    return "在孵" if r["incubation_out"] is None else "已出壳"


def test_demo_has_the_seed_scale(rows):
    assert len([r for r in rows if r["hub_id"] == 1]) == 55  # 下沙's register; the demo's other streets have theirs


def test_no_query_lists_everything_by_id(demo_db, rows):
    df, total, page = listing.fetch_page(VIEW, Query(page_size=100), demo_db)
    assert (total, page) == (len(rows), 1)
    assert df["id"].tolist() == [r["id"] for r in rows]
    assert list(df.columns) == [c.name for c in VIEW.columns]


# ---- search -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fragment", ["青葵", "协会", "1516", "服务中心"])
def test_search_by_name_fragment(demo_db, rows, fragment):
    expected = [r["id"] for r in rows if fragment in r["name"] or fragment in (r["uscc"] or "") or fragment in (r["filing_no"] or "")]
    assert 0 < len(expected) < len(rows)
    assert ids(Query(search=fragment), demo_db) == expected
    assert ids(Query(search=f"  {fragment}  "), demo_db) == expected


def test_search_by_uscc_whole_or_part_any_case(demo_db, rows):
    target = next(r for r in rows if r["uscc"])
    assert ids(Query(search=target["uscc"]), demo_db) == [target["id"]]
    assert ids(Query(search=target["uscc"].lower()), demo_db) == [target["id"]]
    tail = target["uscc"][-8:]
    assert ids(Query(search=tail), demo_db) == [r["id"] for r in rows if tail in (r["uscc"] or "")]


def test_search_by_a_full_width_or_invisible_laden_code_finds_the_stored_half_width_one(demo_db, rows):
    """A code pasted full-width (stored half-width since the form reads it so) or with a zero-width space in it
    finds the organisation."""
    target = next(r for r in rows if r["uscc"])
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in target["uscc"])
    assert ids(Query(search=full_width), demo_db) == [target["id"]]
    assert ids(Query(search="\u200b" + target["uscc"][:6] + "\u200b" + target["uscc"][6:]), demo_db) == [target["id"]]
    assert target["id"] in ids(Query(search=target["name"]), demo_db)  # the name as typed still matches


def test_search_by_filing_number(demo_db, rows):
    target = next(r for r in rows if r["filing_no"])
    text = target["filing_no"]
    expected = [r["id"] for r in rows if text in r["name"] + (r["uscc"] or "") + (r["filing_no"] or "")]
    assert target["id"] in expected
    assert ids(Query(search=text), demo_db) == expected


@pytest.mark.parametrize("hostile", ["%' OR 1=1 --", "'; DROP TABLE organisations; --", "\" OR \"\"=\"", "%", "_", "\\"])
def test_search_with_sql_and_like_metacharacters_matches_literally(demo_db, rows, hostile):
    df, total, page = listing.fetch_page(VIEW, Query(search=hostile), demo_db)
    expected = [r["id"] for r in rows if hostile.strip() in r["name"] + (r["uscc"] or "") + (r["filing_no"] or "")]
    assert expected == []
    assert (df["id"].tolist(), total, page) == ([], 0, 1)
    assert demo_db.scalar("SELECT count(*) FROM organisations") == 55


def test_search_percent_and_underscore_match_themselves(demo_db):
    staff = Actor("wangmin", ("staff",))
    a = organisations.create(filed_values(name="下沙100%满意服务队"), staff)
    b = organisations.create(filed_values(name="下沙_下划线_服务队", filing_no="下沙备字〔2024〕第002号"), staff)
    assert ids(Query(search="100%"), demo_db) == [a]
    assert ids(Query(search="%满意"), demo_db) == [a]
    assert ids(Query(search="_下划线_"), demo_db) == [b]


# ---- filters ------------------------------------------------------------------------------------

def test_filter_by_community(demo_db, rows):
    expected = [r["id"] for r in rows if r["community"] == "春晓社区"]
    assert len(expected) == 5
    assert ids(Query(filters={"community": ["春晓社区"]}), demo_db) == expected
    both = [r["id"] for r in rows if r["community"] in ("春晓社区", "文海社区")]
    assert ids(Query(filters={"community": ["春晓社区", "文海社区"]}), demo_db) == both


@pytest.mark.parametrize("kind", ["社会团体", "社会服务机构", "基金会", "社区社会组织(备案)"])
def test_filter_by_kind(demo_db, rows, kind):
    expected = [r["id"] for r in rows if r["kind"] == kind]
    assert expected
    assert ids(Query(filters={"kind": [kind]}), demo_db) == expected


@pytest.mark.parametrize("stage", ["零基础筹备期", "初创期", "成长期", "成熟期"])
def test_filter_by_stage(demo_db, rows, stage):
    assert ids(Query(filters={"stage": [stage]}), demo_db) == [r["id"] for r in rows if r["stage"] == stage]


def test_filter_by_rating_including_unrated(demo_db, rows):
    unrated = [r["id"] for r in rows if r["rating"] is None]
    assert len(unrated) == 39
    assert ids(Query(filters={"rating": ["未评级"]}), demo_db) == unrated
    assert ids(Query(filters={"rating": ["3A", "4A"]}), demo_db) == [r["id"] for r in rows if r["rating"] in ("3A", "4A")]
    assert len(ids(Query(filters={"rating": ["4A"]}), demo_db)) == 3
    assert ids(Query(filters={"rating": ["5A"]}), demo_db) == []


@pytest.mark.parametrize("status", ["未入壳", "在孵", "已出壳"])
def test_filter_by_incubation_status(demo_db, rows, status):
    expected = [r["id"] for r in rows if incubation(r) == status]
    assert expected
    assert ids(Query(filters={"incubation": [status]}), demo_db) == expected
    df = listing.fetch_all(VIEW, Query(filters={"incubation": [status]}), demo_db)
    assert set(df["incubation"]) == {status}


def test_filter_by_active(demo_db, rows):
    assert ids(Query(filters={"active": ["已注销"]}), demo_db) == [r["id"] for r in rows if not r["active"]]
    assert len(ids(Query(filters={"active": ["在册"]}), demo_db)) == 54


def test_filters_and_search_combine(demo_db, rows):
    q = Query(search="社区", filters={"kind": ["社区社会组织(备案)"], "stage": ["成长期", "初创期"], "rating": ["未评级"]})
    expected = [r["id"] for r in rows if "社区" in r["name"] + (r["uscc"] or "") + (r["filing_no"] or "")
                and r["kind"] == "社区社会组织(备案)" and r["stage"] in ("成长期", "初创期") and r["rating"] is None]
    assert expected
    assert ids(q, demo_db) == expected


def test_empty_and_unknown_filters_are_ignored(demo_db, rows):
    q = Query(filters={"community": [], "no_such_filter": ["x"], "kind); DROP TABLE organisations; --": ["x"]})
    assert ids(q, demo_db) == [r["id"] for r in rows]


def test_filter_values_are_bound_not_spliced(demo_db):
    assert ids(Query(filters={"community": ["文海社区') OR ('1'='1"]}), demo_db) == []


def test_filter_choices(demo_db):
    from core.orgs import hubs
    from tests.test_hub_isolation import screen_of

    by_name = {f.name: f for f in VIEW.filters}
    with screen_of(hubs.actor_for("staff", ("staff",), demo_db)):  # 下沙's screen: 下沙's 21 communities, in order
        assert by_name["community"].choices()[:2] == ["文海社区", "高沙社区"]
        assert len(by_name["community"].choices()) == 21
    every = by_name["community"].choices()  # outside a screen: every hub's, hub by hub (下沙's first)
    assert every[:21] == demo_db.fetch_df("SELECT name FROM communities WHERE hub_id = 1"
                                          " ORDER BY sort_order, name")["name"].tolist() and len(every) > 21
    assert by_name["rating"].choices() == ["未评级", "1A", "2A", "3A", "4A", "5A"]


# ---- sort ---------------------------------------------------------------------------------------

def test_sort_by_name_both_ways(demo_db, rows):
    by_name = [r["id"] for r in sorted(rows, key=lambda r: (r["name"], r["id"]))]
    assert ids(Query(sort="name"), demo_db) == by_name
    assert ids(Query(sort="name", desc=True), demo_db) == [r["id"] for r in sorted(rows, key=lambda r: r["name"], reverse=True)]


def test_sort_puts_missing_values_last_both_ways(demo_db, rows):
    asc = listing.fetch_all(VIEW, Query(sort="rating"), demo_db)["rating"].tolist()
    desc = listing.fetch_all(VIEW, Query(sort="rating", desc=True), demo_db)["rating"].tolist()
    rated = sorted(r["rating"] for r in rows if r["rating"])
    assert asc[:len(rated)] == rated and all(pd.isna(v) for v in asc[len(rated):])
    assert desc[:len(rated)] == rated[::-1] and all(pd.isna(v) for v in desc[len(rated):])
    # ties are broken by id, so the order is stable across pages
    unrated_ids = listing.fetch_all(VIEW, Query(sort="rating"), demo_db)["id"].tolist()[len(rated):]
    assert unrated_ids == sorted(unrated_ids)


def test_unknown_sort_column_falls_back_to_id(demo_db, rows):
    assert ids(Query(sort="name; DROP TABLE organisations", desc=True), demo_db) == [r["id"] for r in rows]
    assert demo_db.scalar("SELECT count(*) FROM organisations") == 55


# ---- pages --------------------------------------------------------------------------------------

def test_pages_are_disjoint_and_cover_every_row(demo_db, rows):
    seen, sizes = [], []
    for n in range(1, 7):
        df, total, page = listing.fetch_page(VIEW, Query(sort="name", page=n, page_size=10), demo_db)
        assert (total, page) == (55, n)
        sizes.append(len(df))
        seen += df["id"].tolist()
    assert sizes == [10, 10, 10, 10, 10, 5]
    assert len(seen) == len(set(seen)) == 55
    assert seen == ids(Query(sort="name"), demo_db)


@pytest.mark.parametrize("asked,served", [(7, 6), (999, 6), (0, 1), (-3, 1)])
def test_page_out_of_range_is_clamped(demo_db, asked, served):
    df, total, page = listing.fetch_page(VIEW, Query(page=asked, page_size=10), demo_db)
    last, _, _ = listing.fetch_page(VIEW, Query(page=served, page_size=10), demo_db)
    assert (total, page) == (55, served)
    assert df["id"].tolist() == last["id"].tolist()


def test_paging_a_filtered_list(demo_db, rows):
    q = dict(filters={"kind": ["社区社会组织(备案)"]}, sort="community", desc=True, page_size=10)
    pages = [listing.fetch_page(VIEW, Query(page=n, **q), demo_db) for n in range(1, 5)]
    assert [len(df) for df, _, _ in pages] == [10, 10, 10, 2]
    assert {t for _, t, _ in pages} == {32}
    joined = pd.concat([df for df, _, _ in pages], ignore_index=True)
    assert joined["id"].tolist() == ids(Query(**{k: v for k, v in q.items() if k != "page_size"}), demo_db)


def test_fetch_all_equals_concatenated_pages(demo_db):
    q = Query(search="社区", sort="stage", desc=True)
    whole = listing.fetch_all(VIEW, q, demo_db)
    total = listing.fetch_page(VIEW, q, demo_db)[1]
    parts = [listing.fetch_page(VIEW, Query(search=q.search, sort=q.sort, desc=q.desc, page=n, page_size=7), demo_db)[0]
             for n in range(1, -(-total // 7) + 1)]
    joined = pd.concat(parts, ignore_index=True)
    assert len(whole) == total
    assert plain_rows(whole) == plain_rows(joined)


def test_empty_result(demo_db):
    df, total, page = listing.fetch_page(VIEW, Query(search="不存在的组织名称xyz", page=3), demo_db)
    assert (len(df), total, page) == (0, 0, 1)
    assert list(df.columns) == [c.name for c in VIEW.columns]


def test_labelled_gives_chinese_headers(demo_db):
    df = listing.labelled(VIEW, listing.fetch_all(VIEW, Query(), demo_db))
    assert list(df.columns) == [c.label for c in VIEW.columns]
    assert df.columns[1] == "组织名称"


def test_like_literal():
    assert listing.like_literal("100%_a\\b") == "100\\%\\_a\\\\b"


# ---- the child-row editor that speaks Chinese (core.ui.editor.child_editor) ------------------------

def _editor_app():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from core.ui.editor import child_editor, child_rows

        base = [{"deliverable": "中期报告", "due_date": "2027-03-01"}]
        child_editor(base, ["deliverable", "due_date"], "stones")
        st.session_state["out"] = child_rows(["deliverable", "due_date"], "stones")

    return AppTest.from_function(script)


def test_child_editor_adds_by_filling_a_blank_row_and_deletes_by_clearing():
    at = _editor_app().run()
    assert not at.exception
    shown = at.session_state["stones:base"]
    assert len(shown) == 1 + 3  # the row and three blank rows: no "Add row" button is needed
    import datetime as dt

    assert at.session_state["out"] == [{"deliverable": "中期报告", "due_date": dt.date(2027, 3, 1)}]
    assert "在下方空行中填写即可新增" in at.caption[0].value
    at.session_state["stones"] = {"edited_rows": {2: {"deliverable": "结项报告", "due_date": "2027-06-30"}},
                                  "added_rows": [], "deleted_rows": []}
    at.run()
    assert [r["deliverable"] for r in at.session_state["out"]] == ["中期报告", "结项报告"]
    at.session_state["stones"] = {"edited_rows": {0: {"deliverable": "", "due_date": None},
                                                  2: {"deliverable": "结项报告", "due_date": "2027-06-30"}},
                                  "added_rows": [], "deleted_rows": []}
    at.run()
    assert [r["deliverable"] for r in at.session_state["out"]] == ["结项报告"]


# ---- what a table shows (core.ui.listview._for_display, core.ui.tables.display_frame) -----------------

def test_display_frame_has_no_raw_empty_values_and_formats_money():
    import datetime as dt
    from decimal import Decimal

    import schemas.application  # noqa: F401  (declares 申请资助金额(元) and 预算:人员(元) money)
    from core.ui.tables import display_frame

    raw = pd.DataFrame({
        "id": [1, 2, 3],
        "amount": [24800.0, None, 1234.5],
        "score": [85.5, 90.0, float("nan")],
        "when": [pd.Timestamp("2026-01-01"), pd.NaT, pd.Timestamp("2026-01-02 10:30")],
        "name": ["甲", None, "丙"],
        "domains": [["志愿服务", "一老一小"], [], None],
        "active": [True, False, True],
        "budget": [Decimal("3000.00"), Decimal("12.5"), None],
        "count": pd.array([1, None, 3], dtype="Int64"),
    })
    shown = display_frame(raw, {"id": "编号", "amount": "申请资助金额(元)", "score": "得分", "when": "时间", "name": "名称",
                                "domains": "服务领域", "active": "启用", "budget": "预算:人员(元)", "count": "人次"})
    assert shown["申请资助金额(元)"].tolist() == ["24,800", "", "1,234.50"]
    assert shown["预算:人员(元)"].tolist() == ["3,000", "12.50", ""]
    assert shown["得分"].tolist() == ["85.5", "90", ""]
    assert shown["时间"].tolist() == ["2026-01-01", "", "2026-01-02 10:30"]
    assert shown["名称"].tolist() == ["甲", "", "丙"]
    assert shown["服务领域"].tolist() == ["志愿服务、一老一小", "", ""]
    assert shown["人次"].tolist() == ["1", "", "3"]
    assert shown["编号"].tolist() == [1, 2, 3]  # whole numbers without gaps stay numbers (no "1,234" ids)
    assert shown["启用"].tolist() == [True, False, True]
    text = " ".join(map(str, shown.to_numpy().ravel()))
    for raw_text in ("None", "nan", "NaT", "<NA>", "24800.0", "[", "]"):
        assert raw_text not in text
    assert dt.date  # imported for clarity of the date cases above
