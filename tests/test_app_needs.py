"""AppTest: 需求动态跟踪 (pages/res_needs.py) per role, and 需求登记 (the generic screen of the need) with its Excel
import of paper survey results. Staff change a need's status and link an answer by name; leaders read; reviewers
are refused."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.apptest_helpers import count, db, errors, open_page, plain_texts, signed_in, successes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def hub(demo_db):
    from core.domain import install_providers

    install_providers()
    assert count("community_needs")  # the demo template holds the demo needs (core.demo.resources)
    return demo_db


def _open(user: str, roles: list[str], path: str = "needs-tracking", **query):
    at = signed_in(user, roles).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, path)


def test_staff_see_covered_and_open_needs_per_community_and_the_unanswered_ones(hub):
    from core.resources import needs

    at = _open("staff", ["staff"])
    assert not at.exception
    assert [t.value for t in at.title] == ["需求动态跟踪"]
    totals = needs.totals(hubs=(1,))  # 下沙's staff: 下沙's needs
    assert {m.label: int(m.value) for m in at.metric} == {
        "需求总数": totals["total"], "已满足": totals["met"], "未满足": totals["open"], "尚无回应": totals["unanswered"]}
    per = at.dataframe[0].value
    assert list(per.columns) == ["所属社区", "需求总数", "已满足", "部分满足", "未满足", "其中尚无回应", "最长等待(天)"]
    assert len(per) == 21 and per["需求总数"].astype(int).sum() == count("community_needs", "WHERE hub_id = 1")
    waiting = at.dataframe[1].value
    assert list(waiting.columns) == ["编号", "所属社区", "需求标题", "关注人群", "紧迫程度", "状态", "调研日期", "已等待(天)"]
    assert len(waiting) == totals["unanswered"]
    assert not (waiting.astype(str) == "None").any().any()
    at.selectbox(key="needs:waiting:community").set_value("文海社区").run()
    shown = at.dataframe[1].value
    assert set(shown["所属社区"]) == {"文海社区"} and len(shown) == len(needs.waiting("文海社区"))


def _open_need(hub):
    key = int(hub.scalar("SELECT min(id) FROM community_needs WHERE status = '登记'"))
    return key, _open("staff", ["staff"], "need-responses", id=str(key))


def test_staff_move_a_need_and_a_refused_move_keeps_the_input_and_writes_nothing(hub):
    key, at = _open_need(hub)
    assert not at.exception
    surveyed = hub.fetch_one("SELECT surveyed_on FROM community_needs WHERE id = ?", [key])["surveyed_on"]
    assert at.selectbox(key=f"need:to:{key}").options == ["已对接", "暂缓"]
    at.selectbox(key=f"need:to:{key}").set_value("已对接")
    at.date_input(key=f"need:on:{key}").set_value(surveyed - dt.timedelta(days=1))
    at.text_input(key=f"need:note:{key}").input("对接为老助餐服务")
    at.button(key=f"need:move:{key}").click().run()
    assert f"变更日期不能早于调研日期({surveyed:%Y-%m-%d})" in errors(at)
    assert count("need_events", "WHERE need_id = ?", [key]) == 0
    assert at.text_input(key=f"need:note:{key}").value == "对接为老助餐服务"
    at.date_input(key=f"need:on:{key}").set_value(dt.date.today())
    at.button(key=f"need:move:{key}").click().run()
    assert not at.exception
    assert "需求状态已改为「已对接」" in successes(at)
    assert hub.fetch_one("SELECT status FROM community_needs WHERE id = ?", [key])["status"] == "已对接"
    events = [d.value for d in at.dataframe if "变更说明" in d.value.columns]
    assert events and events[0]["变更说明"].tolist() == ["对接为老助餐服务"]
    assert at.selectbox(key=f"need:to:{key}").options == ["部分满足", "已满足", "暂缓"]


def test_staff_link_an_idea_by_name_and_it_shows_on_the_need(hub):
    key, at = _open_need(hub)
    idea = hub.fetch_one("SELECT id, title FROM ideas ORDER BY id DESC LIMIT 1")
    at.selectbox(key=f"need:kind:{key}").set_value("idea").run()
    target = at.selectbox(key=f"need:target:{key}:idea")
    assert any(o.startswith(f"{idea['id']} · {idea['title']}") for o in target.options)
    target.set_value(idea["id"])
    at.button(key=f"need:link:{key}").click().run()
    assert not at.exception
    assert any(s.startswith("已关联金点子") for s in successes(at))
    assert count("need_links", "WHERE need_id = ? AND kind = 'idea' AND target_id = ?", [key, idea["id"]]) == 1
    linked = [d.value for d in at.dataframe if "回应类型" in d.value.columns]
    assert linked and linked[0][["回应类型", "名称"]].values.tolist() == [["金点子", idea["title"]]]
    assert hub.fetch_one("SELECT status FROM community_needs WHERE id = ?", [key])["status"] == "已对接"
    at = _open("staff", ["staff"], "idea-pool", id=str(idea["id"]))
    assert any(c.value.replace("\\", "").startswith("回应的需求:") for c in at.caption)

    at = _open("staff", ["staff"], "need-responses", id=str(key))  # 取消关联 asks first
    link_id = int(hub.scalar("SELECT id FROM need_links WHERE need_id = ?", [key]))
    at.selectbox(key=f"need:unlink:{key}").set_value(link_id).run()
    at.button(key=f"need:unlink:btn:{key}").click().run()
    assert count("need_links", "WHERE id = ?", [link_id]) == 1
    at.button(key=f"need:unlink:btn:{key}:yes").click().run()
    assert "已取消关联" in successes(at)
    assert count("need_links", "WHERE id = ?", [link_id]) == 0
    assert hub.fetch_one("SELECT status FROM community_needs WHERE id = ?", [key])["status"] == "已对接"


def test_leaders_read_the_tracking_view_without_forms_and_only_staff_handle_needs(hub):
    key = int(hub.scalar("SELECT min(id) FROM community_needs"))
    at = _open("leader", ["leader"])
    assert not at.exception
    assert [t.value for t in at.title] == ["需求动态跟踪"]
    assert len(at.metric) == 4 and len(at.dataframe) == 3
    assert [b.key for b in at.button] == ["logout_btn"] and "需求与回应" not in plain_texts(at)
    for user, roles in (("leader", ["leader"]), ("expert", ["reviewer"])):
        at = _open(user, roles, "need-responses", id=str(key))
        assert [t.value for t in at.title] != ["需求与回应"] and not at.dataframe
    at = _open("expert", ["reviewer"])
    assert [t.value for t in at.title] != ["需求动态跟踪"] and not at.metric


def _workbook(rows: list[list]) -> bytes:
    from openpyxl import load_workbook

    from core.platform import admin, importer
    from core.resources.needs import NEED

    wb = load_workbook(io.BytesIO(importer.template(admin.import_spec(NEED))))
    headers = [c.value for c in wb["导入数据"][1]]
    assert headers[:6] == ["需求标题*", "所属社区*", "关注人群*", "调研方式*", "调研日期*", "紧迫程度*"]
    for r in rows:
        wb["导入数据"].append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_paper_survey_results_are_imported_from_excel_on_需求登记(hub):
    before = count("community_needs")
    data = _workbook([
        ["老人希望社区有防诈骗讲座", "海达社区", "老年人", "问卷调查", "2026-10-12", "较急", 18, "李静", "问卷第7题"],
        ["外卖骑手缺少歇脚点", "海达社区", "外卖骑手", "入户走访", "2026-10-12", "一般", None, "李静", None],
    ])
    at = _open("staff", ["staff"], path="community-needs")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["列表", "新建", "导入"]
    at.file_uploader(key="need:import:file").set_value(("需求调研.xlsx", data, XLSX))
    at.run()
    assert "共 2 行:可导入 1 行,错误 1 行" in plain_texts(at)
    assert list(at.dataframe[-1].value["字段"]) == ["", "关注人群"]
    assert count("community_needs") == before
    at.button(key="need:import:confirm").click().run()
    assert "已导入 1 条社区需求。" in successes(at)
    row = db().fetch_one("SELECT status, residents, created_by FROM community_needs WHERE title = '老人希望社区有防诈骗讲座'"
                         " AND community = '海达社区' AND recorded_by = '李静'")
    assert row == {"status": "登记", "residents": 18, "created_by": "staff"}


def test_the_application_and_the_project_pages_show_the_needs_they_answer(hub):
    from core.resources import needs

    p = hub.fetch_one("SELECT l.target_id AS id, n.title, n.community, n.status FROM need_links l"
                      " JOIN community_needs n ON n.id = l.need_id WHERE l.kind = 'project' ORDER BY l.id LIMIT 1")
    line = needs.answered_text("project", p["id"])
    assert line.startswith("回应的需求:") and f"{p['title']}({p['community']} · {p['status']})" in line
    at = _open("staff", ["staff"], path="project-file", id=str(p["id"]))
    assert not at.exception
    assert line in [c.value.replace("\\", "") for c in at.caption]
    app_id = int(hub.scalar("SELECT application_id FROM projects WHERE id = ?", [p["id"]]))
    at = _open("staff", ["staff"], path="application", id=str(app_id))
    assert not at.exception
    assert any(c.value.replace("\\", "").startswith("回应的需求:") and p["title"] in c.value.replace("\\", "")
               for c in at.caption)
