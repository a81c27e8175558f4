"""宣传 (core.resources.publicity): the 宣传台账's rules (a full http(s) link, a project or a brand, a media report on a
media channel with a level, the brand agreeing with the project's), counts per brand / year / channel from the
records (the brand matrix and the dashboards read them), literal titles through the screens and the Excel export,
the whole-sheet import, and the demo loader's figures (the seed's 200+ posts and 40+ media reports)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.demo import res_publicity as demo
from core.platform import importer, listing
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.excel import workbook_bytes
from core.resources import publicity as pub
from schemas.publicity import BAD_LINK, LEVEL_ON_WECHAT, NO_TARGET, REPORT_LEVEL, REPORT_ON_WECHAT

STAFF = Actor("staff", ("staff",))
LEADER = Actor("leader", ("leader",))
TODAY = dt.date.today()


def _count(db, table: str = "publicity_items") -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def _messages(exc) -> str:
    return str(exc.value) + " " + " ".join(m for ms in (exc.value.fields or {}).values() for m in ms)


def _branded_project(db) -> dict:
    return db.fetch_one("SELECT p.id, p.brand_id, b.name AS brand FROM projects p JOIN brands b ON b.id = p.brand_id"
                        " ORDER BY p.id DESC LIMIT 1")


def _post(**over) -> dict:
    return {"title": "“1516便民服务”走进幸福社区", "kind": "日常服务信息", "channel": "荟益沙",
            "published_on": TODAY - dt.timedelta(days=1), "link": "https://mp.weixin.qq.com/s/AbC-12_x?scene=1#top",
            "reads": 1200, **over}


def _reach(brand_id: int, **years) -> dict:
    df = pub.reach_by_brand(**years)
    return df.set_index("brand_id").loc[brand_id, list(pub.REACH_KEYS)].to_dict()


@pytest.mark.parametrize("link", ["javascript:alert(1)", "www.hangzhou.com.cn/a", "https://exa mple.com/a",
                                  "ftp://files.example.com/a", "https://localhost", "https://a.cn/\"onclick=x"])
def test_a_link_that_is_no_full_web_address_is_refused_in_chinese_and_nothing_is_written(demo_db, link):
    project = _branded_project(demo_db)
    before = _count(demo_db), _count(demo_db, "audit_log")
    with pytest.raises(ValidationFailed) as exc:
        pub.add_item(_post(link=link, project_id=project["id"]), STAFF)
    assert exc.value.fields.get("link") == [BAD_LINK]
    assert "http:// 或 https://" in BAD_LINK
    assert (_count(demo_db), _count(demo_db, "audit_log")) == before


def test_the_other_rules_refuse_in_chinese_and_say_what_to_change(demo_db):
    project = _branded_project(demo_db)
    other_brand = demo_db.scalar("SELECT min(id) FROM brands WHERE id <> ?", [project["brand_id"]])
    before = _count(demo_db)
    cases = [
        (_post(), "project_id", NO_TARGET),
        (_post(kind="媒体报道", project_id=project["id"]), "channel", REPORT_ON_WECHAT),
        (_post(level="市级", project_id=project["id"]), "level", LEVEL_ON_WECHAT),
        (_post(kind="媒体报道", channel="其他媒体", project_id=project["id"]), "level", REPORT_LEVEL),
        (_post(published_on=TODAY + dt.timedelta(days=2), project_id=project["id"]), "published_on", "不能晚于今天"),
    ]
    for values, field, words in cases:
        with pytest.raises(ValidationFailed) as exc:
            pub.add_item(values, STAFF)
        assert any(words in m for m in exc.value.fields.get(field, [])), (field, exc.value.fields)
    with pytest.raises(ValidationFailed) as exc:  # the project's own brand is another one
        pub.add_item(_post(project_id=project["id"], brand_id=other_brand), STAFF)
    assert f"属于品牌「{project['brand']}」" in exc.value.fields["brand_id"][0]
    assert "清空关联品牌" in exc.value.fields["brand_id"][0]
    assert _count(demo_db) == before
    with pytest.raises(PermissionDenied):
        pub.add_item(_post(project_id=project["id"]), LEADER)
    assert _count(demo_db) == before


def test_an_edit_is_checked_again_and_audited(demo_db):
    project = _branded_project(demo_db)
    other_brand = demo_db.scalar("SELECT min(id) FROM brands WHERE id <> ?", [project["brand_id"]])
    key = pub.add_item(_post(project_id=project["id"]), STAFF)
    with pytest.raises(ValidationFailed) as exc:
        pub.update_item(key, {"brand_id": other_brand}, STAFF)
    assert f"属于品牌「{project['brand']}」" in _messages(exc)
    with pytest.raises(ValidationFailed) as exc:
        pub.update_item(key, {"link": "mp.weixin.qq.com/s/x"}, STAFF)
    assert exc.value.fields["link"] == [BAD_LINK]
    assert pub.update_item(key, {"reads": 2000, "title": "改过的标题"}, STAFF)
    assert not pub.update_item(key, {"reads": 2000}, STAFF)  # nothing changed
    row = demo_db.fetch_one("SELECT title, reads, brand_id, updated_by FROM publicity_items WHERE id = ?", [key])
    assert row == {"title": "改过的标题", "reads": 2000, "brand_id": None, "updated_by": "staff"}
    assert list(pub.history(key)["action"]) == ["update", "create"]
    with pytest.raises(PermissionDenied):
        pub.update_item(key, {"reads": 1}, LEADER)


def test_a_media_report_takes_its_channels_level_when_none_is_chosen(demo_db):
    project = _branded_project(demo_db)
    key = pub.add_item(_post(kind="媒体报道", channel="杭州日报", link=None, reads=None, project_id=project["id"]),
                       STAFF)
    row = demo_db.fetch_one("SELECT level, brand_id, link, reads FROM publicity_items WHERE id = ?", [key])
    assert row == {"level": "市级", "brand_id": None, "link": None, "reads": None}
    key = pub.add_item(_post(kind="媒体报道", channel="其他媒体", level="国家级", project_id=project["id"]), STAFF)
    assert demo_db.scalar("SELECT level FROM publicity_items WHERE id = ?", [key]) == "国家级"


def test_counts_by_brand_year_and_channel_come_from_the_records(demo_db):
    project = _branded_project(demo_db)
    brand = project["brand_id"]
    new_brand = demo_db.scalar("SELECT max(id) FROM brands WHERE id <> ?", [brand])
    before, year_before = _reach(brand), _reach(brand, year_from=TODAY.year, year_to=TODAY.year)
    lone_before = _reach(new_brand)
    last_year = dt.date(TODAY.year - 1, 6, 1)
    pub.add_item(_post(project_id=project["id"], reads=100), STAFF)  # counts for the project's brand
    pub.add_item(_post(title="品牌故事一则", kind="品牌故事", brand_id=brand, reads=50), STAFF)
    pub.add_item(_post(title="区级报道", kind="媒体报道", channel="钱塘发布", project_id=project["id"], reads=7), STAFF)
    pub.add_item(_post(title="省级报道", kind="媒体报道", channel="潮新闻", project_id=project["id"], reads=None,
                       published_on=last_year), STAFF)
    pub.add_item(_post(title="另一品牌的报道", kind="媒体报道", channel="杭州网", brand_id=new_brand, reads=3), STAFF)
    after = _reach(brand)
    assert {k: after[k] - before[k] for k in pub.REACH_KEYS} == {
        "posts": 2, "media": 2, "media_district": 1, "media_city": 0, "media_province": 1, "media_national": 0,
        "reads": 157}
    this_year = _reach(brand, year_from=TODAY.year, year_to=TODAY.year)
    assert this_year["media"] - year_before["media"] == 1 and this_year["media_province"] == year_before[
        "media_province"]
    lone = _reach(new_brand)
    assert (lone["media"] - lone_before["media"], lone["media_city"] - lone_before["media_city"]) == (1, 1)
    # per year and channel: the same records
    years = pub.publicity_by_year().set_index("year")
    assert int(years["posts"].sum() + years["media"].sum()) == _count(demo_db)
    channels = pub.by_channel().set_index("channel")
    assert channels.loc["荟益沙", "channel_type"] == "微信公众号" and channels.loc["潮新闻", "channel_type"] == "新闻媒体"
    assert int(channels["media_province"].sum()) == demo_db.scalar(
        "SELECT count(*) FROM publicity_items WHERE kind = '媒体报道' AND level = '省级'")
    # the staff brand matrix and the project file read them
    ov = pub.brand_overview().set_index("id")
    assert ov.loc[brand, "media"] == after["media"] and ov.loc[brand, "reads"] == after["reads"]
    assert set(pub.of_project(project["id"])["title"]) >= {"“1516便民服务”走进幸福社区", "区级报道", "省级报道"}
    assert "品牌故事一则" in set(pub.of_brand(brand)["title"])


def test_the_dashboards_brand_matrix_shows_reach_and_drills_to_the_records(demo_db):
    from core.dashboards import dashboard
    from core.dashboards.dashboard import Filters

    project = _branded_project(demo_db)
    f = Filters(year_from=2021)
    before = dashboard.run("brand_matrix", f).set_index("brand_id")
    pub.add_item(_post(title="驾驶舱里的报道", kind="媒体报道", channel="浙江日报", project_id=project["id"], reads=None),
                 STAFF)
    df = dashboard.run("brand_matrix", f).set_index("brand_id")  # the write cleared the cached figures
    assert df.loc[project["brand_id"], "media_province"] == before.loc[project["brand_id"], "media_province"] + 1
    reach = pub.reach_by_brand(year_from=2021, year_to=TODAY.year).set_index("brand_id")
    assert (df[list(pub.REACH_KEYS)] == reach.loc[df.index, list(pub.REACH_KEYS)]).all().all()
    assert set(pub.REACH_KEYS) <= set(dashboard.query("brand_matrix").columns)
    sel = {"brand": project["brand"], "key": "publicity"}
    rows = dashboard.drill("brand_matrix", f, sel)
    assert "驾驶舱里的报道" in set(rows["title"])
    assert list(rows.columns) == list(dashboard.drill_columns("brand_matrix", sel))
    assert len(rows) == int(df.loc[project["brand_id"], "posts"] + df.loc[project["brand_id"], "media"])
    projects = dashboard.drill("brand_matrix", f, {"brand": project["brand"]})  # a brand alone: its projects
    assert list(projects.columns) == list(dashboard.drill_columns("brand_matrix", {"brand": project["brand"]}))


@pytest.mark.parametrize("title", ["=1+1", "{{x}}", "<b>加粗</b> [链接](https://a.cn) **粗体**", "+SUM(A1)"])
def test_a_title_is_stored_and_exported_literally_and_formulas_are_neutralised(demo_db, title):
    project = _branded_project(demo_db)
    key = pub.add_item(_post(title=title, project_id=project["id"]), STAFF)
    assert demo_db.scalar("SELECT title FROM publicity_items WHERE id = ?", [key]) == title
    assert pub.item(key)["title"] == title
    q = listing.Query(search=title if title[0].isalnum() else "")
    frame = listing.labelled(pub.LIST_VIEW, listing.fetch_all(pub.LIST_VIEW, q))
    assert title in set(frame["宣传标题"])
    ws = load_workbook(io.BytesIO(workbook_bytes({"宣传台账": frame}))).active
    cells = [c.value for c in next(ws.iter_cols(min_col=list(frame.columns).index("宣传标题") + 1))]
    expected = "'" + title if title[0] in "=+-@" else title
    assert expected in cells
    assert not any(isinstance(v, str) and v.startswith(("=", "+")) for v in cells)  # nothing a spreadsheet runs


def _sheet(rows: list[list]) -> bytes:
    spec = pub.import_spec()
    wb = load_workbook(io.BytesIO(importer.template(spec)))
    for r in rows:
        wb["导入数据"].append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_ledger_imports_whole_or_not_at_all_and_a_reupload_adds_nothing(demo_db):
    from schemas import choices

    spec = pub.import_spec()
    headers = [c.value for c in load_workbook(io.BytesIO(importer.template(spec)))["导入数据"][1]]
    assert headers[:4] == ["宣传标题*", "宣传类别*", "发布渠道*", "媒体级别"]
    project = _branded_project(demo_db)
    name = choices.label("projects", project["id"])
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    good = [["导入的推文", "日常服务信息", "下沙发布", None, day, "https://mp.weixin.qq.com/s/imp1", name, None, 321, None],
            ["导入的报道", "媒体报道", "钱江晚报", None, day, None, None, project["brand"], None, "版面A3"]]
    bad = ["坏链接的推文", "日常服务信息", "荟益沙", None, day, "mp.weixin.qq.com/s/bad", name, None, None, None]
    before, audit_before = _count(demo_db), _count(demo_db, "audit_log")
    plan = importer.plan(spec, _sheet([*good, bad]))
    assert [(r.row_number, r.status) for r in plan.report] == [(2, "有效"), (3, "有效"), (4, "错误")]
    assert plan.report[2].message == BAD_LINK
    with pytest.raises(ValidationFailed) as exc:
        pub.commit_import(spec, plan, STAFF)
    assert "第 4 行" in _messages(exc) and "未导入任何记录" in _messages(exc)
    assert (_count(demo_db), _count(demo_db, "audit_log")) == (before, audit_before)

    plan = importer.plan(spec, _sheet(good))
    assert pub.commit_import(spec, plan, STAFF) == 2
    rows = {r["title"]: r for r in demo_db.fetch_all("SELECT * FROM publicity_items WHERE title LIKE '导入的%'")}
    assert rows["导入的推文"]["project_id"] == project["id"] and rows["导入的推文"]["reads"] == 321
    assert rows["导入的报道"]["level"] == "省级" and rows["导入的报道"]["brand_id"] == project["brand_id"]
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'publicity_items' AND action = 'import'"
                          " AND row_key IN (?, ?)", [str(rows["导入的推文"]["id"]), str(rows["导入的报道"]["id"])]) == 2
    again = importer.plan(spec, _sheet(good))
    assert [r.status for r in again.report] == ["已存在", "已存在"] and not again.valid


def test_an_import_row_whose_brand_contradicts_its_project_is_a_row_error(demo_db):
    from schemas import choices

    project = _branded_project(demo_db)
    other = demo_db.scalar("SELECT name FROM brands WHERE id <> ? ORDER BY id LIMIT 1", [project["brand_id"]])
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    plan = importer.plan(pub.import_spec(), _sheet([["品牌不一致", "日常服务信息", "荟益沙", None, day, None,
                                                     choices.label("projects", project["id"]), other, None, None]]))
    assert plan.report[0].status == "错误" and f"属于品牌「{project['brand']}」" in plan.report[0].message


def test_the_demo_ledger_holds_the_seeds_figures(demo_db):
    # the demo template holds what the loader left (core.demo.resources runs it)
    s = pub.summary()
    assert s["daily"] == demo.DAILY_POSTS >= 200  # 发布日常服务信息200余篇
    assert s["media_dcp"] == s["media"] == sum(n for _, _, n in demo.MEDIA) >= 40  # 省市区级媒体报道不少于40篇
    levels = {r["level"] for r in demo_db.fetch_all("SELECT DISTINCT level FROM publicity_items"
                                                    " WHERE kind = '媒体报道'")}
    assert levels == {"区级", "市级", "省级"}
    years = set(pub.publicity_by_year()["year"])
    assert {2021, 2022, 2023, 2024} <= years and min(years) >= 2021
    assert demo_db.scalar("SELECT max(published_on) FROM publicity_items") <= TODAY
    assert demo_db.scalar("SELECT count(*) FROM publicity_items WHERE project_id IS NULL AND brand_id IS NULL") == 0
    # every post dated inside its project's execution period
    assert demo_db.scalar("SELECT count(*) FROM publicity_items i JOIN projects p ON p.id = i.project_id"
                          " WHERE i.published_on < p.start_date OR i.published_on > p.end_date") == 0
    titles = [r["title"] for r in demo_db.fetch_all("SELECT title FROM publicity_items")]
    assert len(set(titles)) > 0.8 * len(titles)  # varied
    # the core brands reach furthest; every record audited once
    reach = pub.reach_by_brand().set_index("brand")
    assert reach.loc["1516便民服务", "posts"] > 0 and reach.loc["青葵伙伴", "media"] > 0
    n = _count(demo_db)
    assert demo_db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'publicity_items'") == n
    assert demo.load(demo_db) == {} and _count(demo_db) == n  # a second run adds nothing


def test_the_demo_loader_is_deterministic(demo_db):
    cols = "title, kind, channel, level, published_on, link, project_id, brand_id, reads"
    first = demo_db.fetch_all(f"SELECT {cols} FROM publicity_items ORDER BY id")
    with demo_db.transaction() as tx:  # as if the 台账 were empty again (the test's own copy of the demo database)
        tx.execute("DELETE FROM publicity_items")
    assert demo.load(demo_db) == {"publicity_items": len(first)}
    assert demo_db.fetch_all(f"SELECT {cols} FROM publicity_items ORDER BY id") == first
