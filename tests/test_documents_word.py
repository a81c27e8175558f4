"""文书 (core.documents): each Word document opens with python-docx and holds its record's figures as readers
read them (names, never usernames or ids; money with thousands separators; Chinese dates); user text prints
literally (``{{ x }}``, ``=1+1``, ``<b>&``); who may download what is checked on the server; the annual report for
the demo year reproduces the seed case's table from the database, with charts, brand stories, cases with ledger
photos and the text staff write."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from core.dashboards import dashboard
from core.documents import annual, catalog, render
from core.documents.render import cn_date
from core.intake import applications
from core.monitoring import ledger, money, projects
from core.platform import formats
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.review import decisions, reviewers
from schemas.columns import label
from schemas.organisation import Organisation
from tests.test_documents import image

STAFF = Actor("staff", ("staff",))
ADMIN = Actor("admin", ("admin",))
LEADER = Actor("leader", ("leader",))
REVIEWER = Actor("expert", ("reviewer",))
TODAY = dt.date.today()
TRICKY = "{{ x }} =1+1 <b>&amp; {% if %}"


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx (opened with python-docx), one per line."""
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return "\n".join(lines)


def _sql(db, sql: str, params: list, table: str) -> None:
    """A change made for the test itself (its own copy of the demo database), readers' caches told."""
    with db.transaction() as tx:
        tx.execute(sql, params)
        tx.touch(table)


def _project(db) -> dict:
    pid = db.scalar("SELECT min(p.id) FROM projects p WHERE EXISTS (SELECT 1 FROM tranches t WHERE t.project_id = p.id"
                    " AND t.status = 'released') AND EXISTS (SELECT 1 FROM project_milestones m WHERE m.project_id = p.id)")
    return projects.get(pid, db)


def _noticed_round(db) -> dict:
    return db.fetch_one("SELECT * FROM rounds WHERE notice_published_at IS NOT NULL AND scores_locked_at IS NOT NULL"
                        " ORDER BY year DESC LIMIT 1")


def test_chinese_dates_and_money():
    assert cn_date(dt.date(2026, 12, 7)) == "2026年12月7日"
    assert cn_date(dt.datetime(2026, 3, 1, 9, 30)) == "2026年3月1日 09:30"
    assert cn_date(None) == "—" and cn_date("2026-01-05") == "2026年1月5日"
    assert render.yuan(1234567.5) == "1,234,567.50" and render.yuan(24800.0) == "24,800"


def test_the_application_holds_its_content_budget_and_milestones(demo_db):
    app_id = demo_db.scalar("SELECT min(a.id) FROM applications a JOIN application_milestones m"
                            " ON m.application_id = a.id WHERE a.state = 'funded'")
    app = applications.get(app_id)
    text = docx_text(catalog.word("application", app_id, STAFF))
    org = applications.org_name(app["org_id"])
    assert app["title"] in text and org in text
    for key in ("budget_personnel", "budget_materials", "budget_other"):
        assert formats.money(app[key]) in text
    total = formats.money(applications.budget_total(app))
    assert f"合计 | {total}" in text and "," in total
    for m in applications.milestones(app_id):
        assert f"{cn_date(m['due_date'])} | {m['deliverable']}" in text
    assert cn_date(app["submitted_at"]).split(" ")[0] in text
    assert f"申报编号" not in text and app["created_by"] not in text.split()  # no ids, no usernames
    assert catalog.file_name("application", app_id, "docx") == f"申报书_{app['title']}.docx"


def test_the_agreement_holds_terms_tranches_and_milestones(demo_db):
    p = _project(demo_db)
    text = docx_text(catalog.word("agreement", p["id"], STAFF))
    assert p["agreement_no"] in text and p["org"] in text and p["title"] in text
    assert f"人民币 {formats.money(p['granted_amount'])} 元" in text
    assert cn_date(p["start_date"]) in text and cn_date(p["end_date"]) in text
    assert cn_date(p["agreement_date"]) in text and cn_date(p["midterm_due"]) in text
    for t in money.tranches(p["id"]).to_dict("records"):
        assert f"第{t['seq']}期 | {formats.percent(t['share'])} | {formats.money(t['amount'])} | {t['gate_label']}" in text
    for m in projects.milestones(p["id"]).to_dict("records"):
        assert f"{cn_date(m['due_date'])} | {m['deliverable']}" in text
    assert "资助协议_" + p["agreement_no"] + ".docx" == catalog.file_name("agreement", p["id"], "docx")
    assert "甲方(资助方):下沙街道社会组织发展服务中心" in text  # the funding hub's own name, from the database


def test_a_document_names_the_hub_that_issues_it(demo_db):
    """Another hub's round: its notice and its 异议 line name that hub, not the case study's centre."""
    from core.orgs import hubs

    r = _noticed_round(demo_db)
    with demo_db.transaction() as tx:
        tx.execute("UPDATE hubs SET name = '白杨街道社会组织服务中心(测试)'"
                   " WHERE id = (SELECT hub_id FROM rounds WHERE id = ?)", [r["id"]])
    assert hubs.name_of_round(r["id"]) == "白杨街道社会组织服务中心(测试)"
    text = docx_text(catalog.word("notice", r["id"], STAFF))
    assert "如有异议,请于公示期内向白杨街道社会组织服务中心(测试)实名反映。" in text
    assert "下沙街道社会组织发展服务中心" not in text
    assert "向白杨街道社会组织服务中心(测试)反映" in decisions.notice_text(r["id"])


def test_the_notice_lists_the_decided_projects_and_the_total(demo_db):
    r = _noticed_round(demo_db)
    listed = decisions.notice_list(r["id"])
    assert len(listed) > 5
    text = docx_text(catalog.word("notice", r["id"], STAFF))
    shown = decisions.notice_rows(listed)
    for i, row in enumerate(shown.to_dict("records"), start=1):
        title, org, amount = row[decisions.NOTICE_COLUMNS["title"]], row[decisions.NOTICE_COLUMNS["org"]], \
            row[decisions.NOTICE_COLUMNS["granted_amount"]]
        assert f"{i} | {title} | {org}" in text and amount in text
    total = float(listed["granted_amount"].sum())
    assert f"共 {len(listed)} 个项目,合计拟资助 {formats.money(total)} 元" in text
    assert f"公示期:{cn_date(r['notice_start'])} 至 {cn_date(r['notice_end'])}" in text


def test_the_score_sheet_carries_the_scores_the_experts_and_the_lock_line_by_name(demo_db):
    r = _noticed_round(demo_db)
    text = docx_text(catalog.word("score_sheet", r["id"], STAFF))
    signer = demo_db.scalar("SELECT name FROM users WHERE username = ?", [r["scores_locked_by"]])
    assert signer and signer != r["scores_locked_by"]
    assert f"已于 {cn_date(r['scores_locked_at'])} 由 {signer} 签字锁定" in text
    assert f"由 {r['scores_locked_by']} 签字" not in text
    experts = [u["reviewer"] for u in demo_db.fetch_all(
        "SELECT DISTINCT v.reviewer FROM reviews v JOIN applications a ON a.id = v.application_id"
        " WHERE a.round_id = ? AND v.status = 'submitted'", [r["id"]])]
    for u in experts:
        assert reviewers.person(u) in text
    from core.review import consolidation
    t = consolidation.table(r["id"])
    best = t.sort_values("final", ascending=False).iloc[0]
    assert best["title"] in text and f"{best['final']:.2f}" in text


def test_an_unlocked_round_says_so(demo_db):
    r = _noticed_round(demo_db)
    _sql(demo_db, "UPDATE rounds SET scores_locked_at = NULL, scores_locked_by = NULL WHERE id = ?", [r["id"]], "rounds")
    assert "尚未签字锁定" in docx_text(catalog.word("score_sheet", r["id"], STAFF))


def test_the_dossier_cover_and_summary(demo_db):
    p = _project(demo_db)
    summ = money.summary(p["id"])
    prog = ledger.progress(p["id"])
    text = docx_text(catalog.word("dossier", p["id"], STAFF))
    assert "一项目一档案" in text and f"协议编号:{p['agreement_no']}" in text and f"承接组织:{p['org']}" in text
    assert f"已拨付 | {formats.money(summ['released'])} 元" in text
    assert f"已开展 {formats.number(prog['activities'])} 场" in text
    people = {u["created_by"] for u in demo_db.fetch_all(
        "SELECT DISTINCT created_by FROM project_events WHERE project_id = ? AND created_by IS NOT NULL", [p["id"]])}
    lines = text.splitlines()
    for u in people - {"system"}:
        name = projects.person(u)
        assert name != u and any(line.endswith(f"| {name}") for line in lines)


def test_user_text_prints_literally(demo_db):
    p = _project(demo_db)
    _sql(demo_db, "UPDATE applications SET title = ? WHERE id = ?", [TRICKY, p["application_id"]], "applications")
    _sql(demo_db, "UPDATE organisations SET name = ? WHERE id = ?", ["=1+1 {{ org }}", p["org_id"]], "organisations")
    for key, record in (("agreement", p["id"]), ("dossier", p["id"]), ("application", p["application_id"])):
        text = docx_text(catalog.word(key, record, STAFF))
        assert TRICKY in text, key
        assert "=1+1 {{ org }}" in text, key


def test_who_may_download_what(demo_db):
    p = _project(demo_db)
    for who in (LEADER, REVIEWER, None):
        with pytest.raises(PermissionDenied, match="无权下载资助协议"):
            catalog.word("agreement", p["id"], who)
    with pytest.raises(PermissionDenied):
        catalog.word("annual", TODAY.year, REVIEWER)
    assert docx_text(catalog.word("annual", TODAY.year, LEADER))  # leaders hand the report on


def test_a_missing_template_is_refused_in_chinese(demo_db, monkeypatch, tmp_path):
    monkeypatch.setattr(render, "TEMPLATE_DIR", tmp_path)
    with pytest.raises(render.TemplateMissing, match="文书模板 notice.docx 不存在"):
        catalog.word("notice", _noticed_round(demo_db)["id"], STAFF)
    (tmp_path / "notice.docx").write_bytes(b"not a word file")
    with pytest.raises(render.TemplateMissing, match="无法使用"):
        catalog.word("notice", _noticed_round(demo_db)["id"], STAFF)


# ---- 年度成效报告 ------------------------------------------------------------------------------------------
def test_the_annual_report_reproduces_the_seed_table_from_the_database(demo_db):
    year = TODAY.year
    fig = annual.figures(year).set_index("figure")
    total = fig["total"].to_dict()
    assert list(fig.index[:len(dashboard.headline())]) == list(dashboard.headline()["figure"])
    # the seed case's figures, each counted here with plain SQL
    funded = demo_db.scalar("SELECT count(*) FROM applications WHERE state = 'funded'")
    granted = float(demo_db.scalar("SELECT sum(granted_amount) FROM applications WHERE state = 'funded'"))
    activities = demo_db.scalar("SELECT count(*) FROM activities WHERE activity_date <= ?", [TODAY])
    served = int(demo_db.scalar("SELECT sum(person_times) FROM activities WHERE activity_date <= ?", [TODAY]))
    incubated = demo_db.scalar("SELECT count(*) FROM organisations WHERE incubation_in <= ?", [TODAY])
    trainings = demo_db.scalar("SELECT count(*) FROM trainings WHERE training_date <= ?", [TODAY])
    assert funded == 76 and total["公益创投立项资助项目"] == "76 个"
    assert granted > 3_000_000 and total["公益创投资助金额"] == f"{granted:,.2f} 元"
    assert activities >= 5000 and total["开展服务活动"] == f"{activities:,} 场"
    assert served >= 100_000 and total["服务居民"] == f"{served:,} 人次"
    assert incubated >= 50 and total["累计入壳孵化社会组织"] == f"{incubated} 家"
    assert total["引进专业社会组织"] == "20 家"
    assert total["能力培训"].startswith(f"{trainings} 场") and trainings >= 30
    assert "4A 3 家" in total[label("rating", of=Organisation)]
    # the year's own column: this year's activities and person-times
    year_acts = demo_db.scalar("SELECT count(*) FROM activities WHERE year(activity_date) = ? AND activity_date <= ?",
                               [year, TODAY])
    assert fig.loc["开展服务活动", "year"] == f"{year_acts:,} 场"
    # the document holds the same table, row for row
    text = docx_text(annual.word(year))
    for name, r in fig.iterrows():
        assert f"{name} | {r['year']} | {r['total']}" in text
    assert f"{year}年度公益创投与社会组织培育成效报告" in text


def test_the_annual_report_has_charts_brand_stories_cases_with_photos_and_staff_text(demo_db):
    from pages.documents import chart_png

    year = TODAY.year
    case = annual.cases(year)[0]
    pid = case["project_id"]
    act = demo_db.scalar("SELECT max(id) FROM activities WHERE project_id = ? AND year(activity_date) = ?", [pid, year])
    ledger.attach_photo(act, "现场.png", image("PNG"), STAFF)
    ledger.attach_photo(act, "合影.jpg", image("JPEG"), STAFF)
    assert annual.save_reflection(year, {"highlights": "亮点:" + TRICKY, "reflection": "孵化覆盖面仍有局限",
                                         "plans": "拓展企业公益认领"}, STAFF)
    data = annual.word(year, chart_png=chart_png)
    doc = Document(io.BytesIO(data))
    text = docx_text(data)
    assert len(doc.inline_shapes) == len(annual.CHARTS) + 2  # three charts, two photos of the first case
    for _name, title, _span in annual.CHARTS:
        assert title in text
    brands = demo_db.fetch_all("SELECT name, description FROM brands")
    for b in brands:
        assert b["name"] in text and b["description"] in text
    first = annual.cases(year)[0]
    assert first["project_id"] == pid and len(first["photos"]) == 2
    assert f"服务 {first['person_times']} 人次" in text and first["org"] in text
    assert "亮点:" + TRICKY in text and "孵化覆盖面仍有局限" in text and "拓展企业公益认领" in text


def test_a_leaders_copy_leaves_the_activity_photos_out(demo_db):
    year = TODAY.year
    case = annual.cases(year)[0]
    act = demo_db.scalar("SELECT max(id) FROM activities WHERE project_id = ? AND year(activity_date) = ?",
                         [case["project_id"], year])
    ledger.attach_photo(act, "现场.png", image("PNG"), STAFF)
    staff_copy = Document(io.BytesIO(catalog.word("annual", year, STAFF)))
    leader_copy = catalog.word("annual", year, LEADER)
    assert len(staff_copy.inline_shapes) == 1 and not Document(io.BytesIO(leader_copy)).inline_shapes
    assert "活动照片仅附于中心工作人员下载的版本" in docx_text(leader_copy)
    assert "活动照片仅附于" not in "\n".join(p.text for p in staff_copy.paragraphs)


def test_the_reflection_is_one_record_per_year_written_by_staff(demo_db):
    year = TODAY.year - 1
    before = demo_db.scalar("SELECT count(*) FROM audit_log")
    assert annual.save_reflection(year, {"reflection": "初稿"}, STAFF)
    assert annual.save_reflection(year, {"reflection": "定稿", "plans": "下一步"}, ADMIN)
    assert not annual.save_reflection(year, {"reflection": "定稿", "plans": "下一步"}, ADMIN)
    row = annual.reflection(year)
    assert (row["reflection"], row["plans"], row["updated_by"]) == ("定稿", "下一步", "admin")
    assert demo_db.scalar("SELECT count(*) FROM annual_reports WHERE year = ?", [year]) == 1
    assert demo_db.scalar("SELECT count(*) FROM audit_log") == before + 2
    with pytest.raises(PermissionDenied):
        annual.save_reflection(year, {"reflection": "领导改写"}, LEADER)
    with pytest.raises(ValidationFailed):
        annual.save_reflection(year, {"reflection": "长" * 4001}, STAFF)
    assert annual.reflection(year)["reflection"] == "定稿"


def test_the_demo_years_report_text_is_the_case_studys_own_words(demo_db):
    """The demo year's 年度亮点 / 总结反思 / 发展规划 come from the seed case (成效成果, 总结反思, 发展规划), are in the
    report, and a second demo run adds nothing."""
    from core.demo import annual_report

    year = dt.date.today().year
    row = annual.reflection(year, demo_db)
    assert row["highlights"].startswith("基于让群众受益的初心,五年来,下沙街道持续引导社会组织参与基层社会治理")
    assert "累计投入资金突破300万元,资助项目76个" in row["highlights"]
    assert row["reflection"].startswith("中心平台孵化培育覆盖面存在局限")
    assert "公益项目可持续运营能力待强化" in row["reflection"]
    assert row["plans"].startswith("未来,下沙社服将持续深耕服务领域") and "企业公益认领" in row["plans"]
    assert "恩次方" not in row["plans"]  # the source line is not part of the plans
    assert annual.reflection(year - 1, demo_db) is None  # only the demo year
    audited = demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'annual_reports'")
    assert annual_report.load(demo_db) == {}  # idempotent
    assert demo_db.scalar("SELECT count(*) FROM annual_reports") == 1
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'annual_reports'") == audited
    text = docx_text(catalog.word("annual", year, STAFF))
    for part in (row["highlights"], row["reflection"], row["plans"]):
        assert part.splitlines()[0] in text
