"""AppTest: 金点子征集 (idea-pool): register, required fields and phone, select, edit, duplicates, promote."""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import (
    count as _count, db as _db, errors as _errors, open_page, plain, plain_texts as texts, screen_as as _screen_as, signed_in, successes as _successes,
)


def _audited() -> int:
    """Audit rows about records (a sign-in's server-side session, made when a test signs in, is not one)."""
    return _count("audit_log", "WHERE table_name <> 'user_sessions'")


def page_links(at: AppTest) -> list[tuple[str, str, str]]:
    """(label as read, target url path, query string) of every st.page_link on the screen."""
    def nodes(node):
        yield node
        for child in (getattr(node, "children", None) or {}).values():
            yield from nodes(child)

    out = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "PageLink":
            out.append((plain(proto.label), proto.page.strip("/"), proto.query_string))
    return out


def _current() -> int:
    from core.intake import rounds

    return int(rounds.current()["id"])


def _free_org() -> int:
    """An active organisation without an application in the current round (one per organisation)."""
    return int(_db().scalar(
        "SELECT min(id) FROM organisations WHERE active AND id NOT IN"
        " (SELECT org_id FROM applications WHERE round_id = ? AND state <> 'withdrawn')", [_current()]))


def _pending_ideas() -> list[int]:
    """Ideas neither promoted nor duplicates, with no duplicates of their own; newest first."""
    return [r["id"] for r in _db().fetch_all(
        "SELECT id FROM ideas i WHERE application_id IS NULL AND duplicate_of IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM ideas d WHERE d.duplicate_of = i.id) ORDER BY id DESC")]


def _staff(**query) -> AppTest:
    at = signed_in("staff", ["staff"]).run()
    for k, v in query.items():
        at.query_params[k] = v
    return open_page(at, "idea-pool")


def _select_row(at: AppTest, row: int) -> AppTest:
    """What the browser sends when a row of the idea list is clicked."""
    at.session_state["ideas:table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def _select_idea(at: AppTest, idea_id: int) -> AppTest:
    ids = list(at.dataframe[0].value["编号"])
    return _select_row(at, ids.index(idea_id))


# ---- access --------------------------------------------------------------------------------------

@pytest.mark.parametrize("username,role", [("staff", "staff"), ("admin", "admin")])
def test_staff_and_admin_open_the_idea_pool(demo_db, username, role):
    at = open_page(signed_in(username, [role]).run(), "idea-pool")
    assert not at.exception
    assert [t.value for t in at.title] == ["金点子征集"]
    assert "共 40 条" in texts(at)
    assert len(at.dataframe[0].value) == 40
    assert [t.label for t in at.tabs] == ["金点子池", "登记金点子"]


@pytest.mark.parametrize("username,role", [("expert", "reviewer"), ("leader", "leader")])
def test_reviewer_and_leader_get_a_no_access_notice(demo_db, username, role):
    at = open_page(signed_in(username, [role]).run(), "idea-pool")
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    assert "共 40 条" not in texts(at)


@pytest.mark.parametrize("username,role", [("leader", "leader"), ("expert", "reviewer")])
def test_screen_refuses_reviewer_and_leader_when_called_directly(demo_db, username, role):
    at = _screen_as(username, [role], "pages.ideas:render").run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.title) == 0 and len(at.dataframe) == 0


# ---- register ------------------------------------------------------------------------------------

def _fill_new(at: AppTest, **values) -> AppTest:
    kinds = {"title": at.text_input, "description": at.text_area, "community": at.selectbox,
             "category": at.selectbox, "source": at.selectbox, "round_id": at.selectbox,
             "contact_name": at.text_input, "contact_phone": at.text_input, "tags": at.text_area}
    for name, value in values.items():
        kinds[name](key=f"idea_new::{name}").set_value(value)
    return at


def _submit_new(at: AppTest) -> AppTest:
    return at.button(key="FormSubmitter:idea_new-登记").click().run()


GOOD = dict(title="楼道里需要装扶手", description="春晓社区老旧小区的老人反映上下楼困难,希望加装楼道扶手。",
            community="春晓社区", category="一老一小", source="居民",
            contact_name="王阿姨", contact_phone="13800138000", tags="适老化\n老旧小区")


def test_register_an_idea(demo_db):
    ideas_before, audit_before = _count("ideas"), _audited()
    at = _submit_new(_fill_new(_staff(), **GOOD, round_id=_current()))
    assert not at.exception
    assert not _errors(at)
    assert _count("ideas") == ideas_before + 1
    row = _db().fetch_one("SELECT * FROM ideas WHERE title = ?", [GOOD["title"]])
    assert row["community"] == "春晓社区" and row["category"] == "一老一小" and row["source"] == "居民"
    assert row["round_id"] == _current()
    assert row["contact_phone"] == "138 0013 8000"
    assert list(row["tags"]) == ["适老化", "老旧小区"]
    assert row["application_id"] is None and row["duplicate_of"] is None
    assert row["created_by"] == "staff"
    assert f"已登记金点子(编号 {row['id']})" in _successes(at)
    assert _audited() == audit_before + 1
    # the form is emptied, the list shows the new idea first
    assert at.text_input(key="idea_new::title").value == ""
    assert at.selectbox(key="idea_new::community").value is None
    assert "共 41 条" in texts(at)
    from core.intake import ideas

    assert at.dataframe[0].value.iloc[0][ideas.IDEA_COLUMNS["title"]] == GOOD["title"]


def test_missing_required_fields_are_named_and_nothing_stored(demo_db):
    ideas_before, audit_before = _count("ideas"), _audited()
    at = _submit_new(_fill_new(_staff(), contact_name="李先生"))
    assert not at.exception
    errors = _errors(at)
    assert "未保存" in errors
    for msg in ("请填写金点子标题", "请填写内容描述", "请选择涉及社区", "请选择项目类别", "请选择来源"):
        assert msg in errors
    assert _count("ideas") == ideas_before
    assert _audited() == audit_before
    assert at.text_input(key="idea_new::contact_name").value == "李先生"


def test_invalid_contact_phone_is_refused_and_values_kept(demo_db):
    ideas_before, audit_before = _count("ideas"), _audited()
    at = _submit_new(_fill_new(_staff(), **dict(GOOD, contact_phone="12345")))
    assert not at.exception
    assert "联系电话无效" in _errors(at)
    assert _count("ideas") == ideas_before
    assert _audited() == audit_before
    assert at.text_input(key="idea_new::title").value == GOOD["title"]
    assert at.text_area(key="idea_new::description").value == GOOD["description"]
    assert at.selectbox(key="idea_new::community").value == "春晓社区"
    assert at.text_input(key="idea_new::contact_phone").value == "12345"
    assert at.text_area(key="idea_new::tags").value == GOOD["tags"]


# ---- the list and one idea -----------------------------------------------------------------------

def test_selecting_an_idea_shows_its_detail_and_tabs(demo_db):
    from core.intake import ideas

    at = _select_row(_staff(), 0)
    assert not at.exception
    idea = ideas.get(int(at.dataframe[0].value.iloc[0]["编号"]))
    assert idea["title"] in [plain(s.value) for s in at.subheader]
    assert idea["description"] in [t.value for t in at.text]
    assert [t.label for t in at.tabs] == ["金点子池", "修改/标签", "标记重复", "转为申报", "登记金点子"]
    assert at.text_input(key="idea_edit::title").value == idea["title"]


def test_search_narrows_the_idea_list(demo_db):
    from core.intake import ideas

    word = ideas.get(_pending_ideas()[0])["title"][:4]
    expected = int(_db().scalar("SELECT count(*) FROM ideas WHERE title ILIKE ? OR description ILIKE ?",
                                [f"%{word}%"] * 2))
    at = _staff()
    at.text_input(key="ideas:q").input(word).run()
    assert not at.exception
    assert f"共 {expected} 条" in texts(at)
    assert 1 <= len(at.dataframe[0].value) == expected < 40


def test_edit_tags_of_an_idea(demo_db):
    from core.intake import ideas

    idea_id = _pending_ideas()[0]
    at = _select_idea(_staff(), idea_id)
    at.text_area(key="idea_edit::tags").input("残疾人\n康复\n就近服务")
    at.button(key="FormSubmitter:idea_edit-保存修改").click().run()
    assert not at.exception
    assert not _errors(at)
    assert list(ideas.get(idea_id)["tags"]) == ["残疾人", "康复", "就近服务"]


def test_mark_an_idea_as_duplicate_and_clear_it(demo_db):
    from core.intake import ideas

    idea_id, kept = _pending_ideas()[:2]
    audit_before = _audited()
    at = _select_idea(_staff(), idea_id)
    at.selectbox(key=f"idea_dup:{idea_id}").set_value(kept).run()
    at.button(key=f"idea_dup_btn:{idea_id}").click().run()
    assert not at.exception
    assert "已标记为重复" in _successes(at)
    assert ideas.get(idea_id)["duplicate_of"] == kept
    last = _db().fetch_one("SELECT action, actor FROM audit_log ORDER BY id DESC LIMIT 1")
    assert last["action"] == "mark_duplicate" and last["actor"] == "staff"
    assert _audited() == audit_before + 1
    # the page shows the new state straight away: the info and the button to clear the mark
    assert any(f"与金点子 编号 {kept} 重复" in plain(i.value) for i in at.info)
    at.button(key=f"idea_undup:{idea_id}").click().run()
    assert not at.exception
    assert "已取消重复标记" in _successes(at)
    assert ideas.get(idea_id)["duplicate_of"] is None


def test_marking_a_duplicate_of_a_duplicate_is_refused(demo_db):
    from core.intake import ideas

    idea_id = _pending_ideas()[0]
    dup = _db().fetch_one("SELECT id, duplicate_of FROM ideas WHERE duplicate_of IS NOT NULL ORDER BY id LIMIT 1")
    audit_before = _audited()
    at = _select_idea(_staff(), idea_id)
    at.selectbox(key=f"idea_dup:{idea_id}").set_value(dup["id"]).run()
    at.button(key=f"idea_dup_btn:{idea_id}").click().run()
    assert not at.exception
    assert f"编号 {dup['id']} 本身已标记为重复" in _errors(at)
    assert ideas.get(idea_id)["duplicate_of"] is None
    assert _audited() == audit_before


def test_promote_an_idea_opens_the_new_draft_in_the_editor(demo_db):
    from core.intake import applications, ideas

    apps_before, org, idea_id = _count("applications"), _free_org(), _pending_ideas()[0]
    at = _select_idea(_staff(), idea_id)
    assert at.selectbox(key=f"idea_round:{idea_id}").value == _current()
    assert at.button(key=f"idea_promote:{idea_id}").disabled  # no organisation chosen yet, and it says so
    assert "请先选择申报组织" in texts(at)
    at.selectbox(key=f"idea_org:{idea_id}").set_value(org).run()
    assert not at.button(key=f"idea_promote:{idea_id}").disabled
    at.button(key=f"idea_promote:{idea_id}").click().run()
    assert not at.exception
    assert not _errors(at)
    assert _count("applications") == apps_before + 1
    idea = ideas.get(idea_id)
    app = applications.get(idea["application_id"])
    assert app["state"] == "draft"
    assert app["idea_id"] == idea_id
    assert app["org_id"] == org and app["round_id"] == _current()
    assert app["title"] == idea["title"] and app["category"] == idea["category"]
    events = _db().fetch_all("SELECT * FROM application_events WHERE application_id = ?", [app["id"]])
    assert len(events) == 1 and events[0]["to_state"] == "draft"
    # straight into that draft: 项目申报 with ?id=N, the draft loaded in the editor
    assert [t.value for t in at.title] == ["项目申报"]
    assert at.query_params["id"] == [str(app["id"])] or at.query_params["id"] == str(app["id"])
    assert any(f"已生成申报草稿(编号 {app['id']}" in s for s in _successes(at))
    assert f"编辑申报 编号 {app['id']}" in texts(at)
    assert at.text_input(key="app_form::title").value == idea["title"]
    assert at.selectbox(key="app_form::org_id").value == org
    assert at.text_area(key="app_form::summary").value == idea["description"][:500]


def test_a_promoted_idea_links_to_its_draft_and_offers_no_second_promotion(demo_db):
    from core.intake import ideas
    from core.platform.actor import Actor

    idea_id = _pending_ideas()[0]
    app_id = ideas.promote(idea_id, _free_org(), _current(), Actor("staff", ("staff",)))
    at = _select_idea(_staff(), idea_id)
    assert not at.exception
    assert any(f"已转为申报项目 编号 {app_id}" in plain(i.value) for i in at.info)
    assert not [b for b in at.button if b.key == f"idea_promote:{idea_id}"]
    assert "该金点子已转为申报,不能再次转化" in texts(at)
    links = page_links(at)
    assert (f"在「项目申报」中补全并提交(编号 {app_id})", "apply", f"id={app_id}") in links, links
    assert (f"查看申报详情(编号 {app_id})", "application", f"id={app_id}") in links, links


def test_the_selected_idea_is_in_the_url(demo_db):
    from core.intake import ideas

    idea_id = _pending_ideas()[1]
    at = _staff(id=str(idea_id))  # F5 or a shared link: the same idea
    assert not at.exception
    assert ideas.get(idea_id)["title"] in [plain(s.value) for s in at.subheader]
    at.query_params["idea_tab"] = "转为申报"
    at = _staff(id=str(idea_id), idea_tab="转为申报")
    assert not at.exception
    assert [b.key for b in at.button if b.key == f"idea_promote:{idea_id}"]


def test_mark_duplicate_without_a_choice_says_why(demo_db):
    idea_id = _pending_ideas()[0]
    at = _select_idea(_staff(), idea_id)
    assert at.button(key=f"idea_dup_btn:{idea_id}").disabled
    assert "请先选择保留的金点子" in texts(at)
    assert at.selectbox(key=f"idea_dup:{idea_id}").placeholder.startswith("请选择")


def test_promote_for_an_organisation_that_already_applied_is_refused(demo_db):
    from core.intake import ideas

    apps_before, audit_before, idea_id = _count("applications"), _audited(), _pending_ideas()[0]
    busy_org = int(_db().scalar("SELECT org_id FROM applications WHERE round_id = ? AND state = 'submitted' LIMIT 1",
                                [_current()]))
    at = _select_idea(_staff(), idea_id)
    at.selectbox(key=f"idea_org:{idea_id}").set_value(busy_org).run()
    at.button(key=f"idea_promote:{idea_id}").click().run()
    assert not at.exception
    assert "达到每个组织1个的上限" in _errors(at)
    assert ideas.get(idea_id)["application_id"] is None
    assert _count("applications") == apps_before
    assert _audited() == audit_before
