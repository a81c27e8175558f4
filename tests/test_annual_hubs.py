"""年度成效报告 per hub (issue 20, core.documents.annual): each hub's report counts its own hubs' records (a district
its subtree), names its hub on the cover and carries the text that hub wrote for the year (migration 030). On the demo
network: 下沙 holds the case study, 白杨 none of it, 钱塘区 reads both."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from core.documents import annual, catalog
from core.orgs import hubs
from core.platform.errors import PermissionDenied
from tests.test_hub_isolation import screen_of

TODAY = dt.date.today()


def _who(db):
    return {name: hubs.actor_for(name, roles, db) for name, roles in
            (("by_staff", ("staff",)), ("staff", ("staff",)), ("qt_leader", ("leader",)))}


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows])


def _training_counts(words: str) -> list[int]:
    return [] if words == "暂无" else [int(part.split()[-2]) for part in words.split(",")]


def test_each_hubs_report_counts_its_own_records_and_names_its_hub(demo_db):
    who, year = _who(demo_db), TODAY.year
    funded_xs = demo_db.scalar("SELECT count(*) FROM applications a JOIN rounds r ON r.id = a.round_id"
                               " WHERE a.state = 'funded' AND r.hub_id = 1")
    assert funded_xs == 76
    totals = {}
    for name in who:
        with screen_of(who[name]):
            totals[name] = annual.figures(year).set_index("figure")["total"].to_dict()
            charts = {n: f for n, _t, f in annual.chart_frames(year)}
            text = _text(catalog.word("annual", year, who[name]))
        centre = hubs.name_of(who[name].hub_id, demo_db)
        assert f"{centre}" in text, name
        if name == "by_staff":  # 白杨 funded nothing: none of 下沙's figures, charts or cases
            assert totals[name]["公益创投立项资助项目"] == "0 个"
            assert totals[name]["公益创投资助金额"] == "0.00 元"
            assert charts["category_year"].empty or float(charts["category_year"].select_dtypes("number").sum().sum()) == 0
            assert "下沙街道社会组织发展服务中心" not in text
        forms = _training_counts(totals[name]["培训形式"])
        organised = demo_db.scalar("SELECT count(*) FROM trainings WHERE hub_id IN (SELECT unnest(?))"
                                   " AND year(training_date) <= ?", [list(who[name].hubs), year])
        assert sum(forms) == organised, name  # trainings by form: those its hubs organised
    assert totals["staff"]["公益创投立项资助项目"] == "76 个"
    assert totals["qt_leader"]["公益创投立项资助项目"] == "76 个"  # 钱塘区: 下沙's and 白杨's


def test_each_hub_writes_its_own_years_text_and_reads_only_its_own(demo_db):
    who, year = _who(demo_db), TODAY.year
    xs = annual.reflection(year, demo_db, hub=who["staff"].hub_id)
    assert xs is not None and "孵化培育覆盖面" in xs["reflection"]  # the demo's text is 下沙's
    assert annual.reflection(year, demo_db, hub=who["by_staff"].hub_id) is None
    assert annual.save_reflection(year, {"reflection": "白杨:场地资源紧张"}, who["by_staff"])
    rows = demo_db.fetch_all("SELECT hub_id, reflection FROM annual_reports WHERE year = ? ORDER BY hub_id", [year])
    assert [(r["hub_id"], r["reflection"][:6]) for r in rows] == [(who["staff"].hub_id, xs["reflection"][:6]),
                                                                (who["by_staff"].hub_id, "白杨:场地资")]
    with screen_of(who["by_staff"]):
        assert annual.reflection(year)["reflection"] == "白杨:场地资源紧张"
        assert "白杨:场地资源紧张" in _text(catalog.word("annual", year, who["by_staff"]))
    with screen_of(who["staff"]):
        assert "白杨" not in annual.reflection(year)["reflection"]
    with pytest.raises(PermissionDenied):  # a leader reads the district's report, writes none
        annual.save_reflection(year, {"reflection": "区级汇总"}, who["qt_leader"])
