"""AppTest: the sign-in gate, lockout, disabled accounts, and which screens each role can reach."""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from core.navigation import PAGES
from tests.apptest_helpers import (
    app, known_urls, open_page, page_hash, plain, plain_texts as texts, registered_urls, screen_as as _screen_as,
    signed_in,
)


PASSWORDS = {"admin": "Demo-admin-2026", "staff": "Demo-staff-2026", "expert": "Demo-expert-2026",
             "leader": "Demo-leader-2026"}
ROLE_OF = {"admin": "admin", "staff": "staff", "expert": "reviewer", "leader": "leader"}
REGISTRY_AND_ADMIN_URLS = ("orgs", "orgs-new", "orgs-import", "accounts", "audit-log")
PAGE_TITLES = ("社会组织台账", "登记新组织", "批量导入社会组织", "用户与角色", "审计日志")

# The registry, administration and account screens each role may open (this suite's scope).
EXPECTED_URLS = {
    "admin": {"", "orgs", "orgs-new", "orgs-import", "accounts", "audit-log", "my-password"},
    "staff": {"", "orgs", "orgs-new", "orgs-import", "my-password"},
    "reviewer": {"", "my-password"},
    "leader": {"", "my-password"},
}
SCOPE = EXPECTED_URLS["admin"]


def nav_urls(role: str) -> set[str]:
    """Every url the pages registry gives ``role`` (other modules add screens; the default one is "")."""
    from core import navigation

    return {"" if p.default else p.url_path for p in navigation.pages_for([role])}


def assert_pages(at, role: str) -> None:
    urls = registered_urls(at)
    assert urls & SCOPE == EXPECTED_URLS[role]
    assert urls == nav_urls(role)


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="FormSubmitter:login-登录").click()
    return at.run()


def _assert_login_screen(at: AppTest) -> None:
    assert not at.exception
    assert [t.value for t in at.title] == ["HubDesk 枢纽台"]
    assert len(at.dataframe) == 0
    assert at.text_input(key="login_username") is not None
    assert at.text_input(key="login_password") is not None
    # while signed out every known URL is a placeholder that draws nothing (so a deep link keeps its path
    # through the sign-in); no screen is registered
    assert registered_urls(at) == set()
    # every screen's URL (the default page's too: /workbench typed keeps working), "/" and /login
    assert known_urls(at) == {p.url_path for p in PAGES} | {"", "login"}
    shown = texts(at)
    for title in PAGE_TITLES:
        assert title not in shown
    assert "共 55 条" not in shown


def _locked_message(at: AppTest) -> str:
    return "\n".join(plain(e.value) for e in at.error)


# ---- signed out ---------------------------------------------------------------------------------

def test_signed_out_shows_only_the_login_form(demo_db):
    at = app().run()
    _assert_login_screen(at)
    assert at.session_state["authentication_status"] is None
    assert [b.label for b in at.button] == ["登录"]  # no sign-out button, no sidebar pages


@pytest.mark.parametrize("url_path", ["orgs", "accounts", "audit-log", "orgs-new", "orgs-import", "my-password"])
def test_signed_out_url_visit_shows_no_data(demo_db, url_path):
    at = open_page(app(), url_path)
    _assert_login_screen(at)
    # and once more, as a second request in the same session
    open_page(at, url_path)
    _assert_login_screen(at)


def test_switch_page_to_a_pages_file_while_signed_out_is_refused(demo_db):
    at = app().run()
    with pytest.raises(ValueError):
        at.switch_page("pages/registry.py")


# ---- signing in ---------------------------------------------------------------------------------

def test_login_form_signs_staff_in(demo_db):
    at = _login(app().run(), "staff", PASSWORDS["staff"])
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "staff"
    assert at.session_state["roles"] == ["staff"]
    assert_pages(at, "staff")
    assert "工作台" in [t.value for t in at.title]
    assert "HubDesk 枢纽台" not in [t.value for t in at.title]  # the login form is gone
    # the next run stays signed in and reaches the registry
    open_page(at, "orgs")
    assert "社会组织台账" in texts(at)
    assert len(at.dataframe) == 1


def test_login_username_is_case_and_space_insensitive(demo_db):
    at = _login(app().run(), "  Staff ", PASSWORDS["staff"])
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "staff"


def test_wrong_password_is_refused(demo_db):
    at = _login(app().run(), "staff", "Demo-staff-2025")
    assert not at.exception
    assert "用户名或密码不正确" in _locked_message(at)
    assert not at.session_state["authentication_status"]
    _assert_login_screen(at)
    # the typed user name survives, so the user can try again
    assert at.text_input(key="login_username").value == "staff"


def test_unknown_user_gets_the_same_message(demo_db):
    at = _login(app().run(), "nobody", "Whatever-2026")
    assert "用户名或密码不正确" in _locked_message(at)
    _assert_login_screen(at)


def test_empty_form_asks_for_credentials(demo_db):
    at = _login(app().run(), "", "")
    assert "请输入用户名和密码" in _locked_message(at)
    _assert_login_screen(at)


def test_five_failures_lock_the_username_even_for_the_right_password(demo_db):
    from core.platform import lockout

    at = app().run()
    for i in range(5):
        _login(at, "staff", f"Wrong-password-{i}")
        assert not at.session_state["authentication_status"]
    assert "锁定" in _locked_message(at)  # the 5th failure already says so
    assert lockout.status("staff").locked
    _login(at, "staff", PASSWORDS["staff"])
    assert not at.exception
    assert "锁定" in _locked_message(at)
    assert not at.session_state["authentication_status"]
    _assert_login_screen(at)
    # the lock lives in the database: a brand-new session is refused too
    fresh = _login(app().run(), "staff", PASSWORDS["staff"])
    assert "锁定" in _locked_message(fresh)
    assert not fresh.session_state["authentication_status"]
    # other accounts are not affected
    other = _login(app().run(), "admin", PASSWORDS["admin"])
    assert other.session_state["authentication_status"] is True


def test_disabled_user_is_signed_out_on_the_next_run(demo_db):
    from core.platform import users
    from core.platform.actor import Actor

    at = signed_in("staff", ["staff"]).run()
    assert_pages(at, "staff")
    users.set_active("staff", False, Actor("admin", ("admin",)))
    open_page(at, "orgs")
    assert not at.exception
    assert not at.session_state["authentication_status"]
    assert "已停用" in _locked_message(at)
    _assert_login_screen(at)
    # and cannot sign in again
    _login(at, "staff", PASSWORDS["staff"])
    assert not at.session_state["authentication_status"]
    _assert_login_screen(at)


def test_roles_come_from_the_database_not_the_session(demo_db):
    """A session that claims admin for the staff account still only gets the staff pages."""
    at = signed_in("staff", ["admin"]).run()
    assert at.session_state["roles"] == ["staff"]
    assert_pages(at, "staff")
    open_page(at, "accounts")
    assert "用户与角色" not in texts(at)


def test_logout_button_signs_out(demo_db):
    at = signed_in("staff", ["staff"]).run()
    at.button(key="logout_btn").click().run()
    assert not at.exception
    assert not at.session_state["authentication_status"]
    _assert_login_screen(at)
    open_page(at, "orgs")
    _assert_login_screen(at)


# ---- role -> pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", "staff", "expert", "leader"])
def test_each_role_sees_exactly_its_pages(demo_db, username):
    at = signed_in(username, [ROLE_OF[username]]).run()
    assert not at.exception
    assert_pages(at, ROLE_OF[username])
    assert "工作台" in [t.value for t in at.title]


@pytest.mark.parametrize("username", ["admin", "staff", "expert", "leader"])
def test_each_role_can_sign_in_through_the_form(demo_db, username):
    at = _login(app().run(), username, PASSWORDS[username])
    assert not at.exception
    assert at.session_state["roles"] == [ROLE_OF[username]]
    assert_pages(at, ROLE_OF[username])


@pytest.mark.parametrize("username", ["expert", "leader"])
@pytest.mark.parametrize("url_path", REGISTRY_AND_ADMIN_URLS)
def test_reviewer_and_leader_get_a_no_access_notice_for_other_urls(demo_db, username, url_path):
    at = signed_in(username, [ROLE_OF[username]]).run()
    open_page(at, url_path)
    assert not at.exception
    assert [t.value for t in at.title] == ["无权访问"]
    assert len(at.dataframe) == 0
    shown = texts(at)
    for title in PAGE_TITLES:
        assert title not in shown
    assert "共 55 条" not in shown


@pytest.mark.parametrize("url_path", ["accounts", "audit-log"])
def test_staff_gets_a_no_access_notice_for_admin_urls(demo_db, url_path):
    at = signed_in("staff", ["staff"]).run()
    open_page(at, url_path)
    assert [t.value for t in at.title] == ["无权访问"]
    assert len(at.dataframe) == 0


@pytest.mark.parametrize("page", ["pages/registry.py", "pages/users.py", "pages/audit.py"])
def test_switch_page_to_a_pages_file_raises_for_reviewer(demo_db, page):
    at = signed_in("expert", ["reviewer"]).run()
    with pytest.raises(ValueError):
        at.switch_page(page)


def test_my_password_page_is_open_to_every_role(demo_db):
    for username in ("expert", "leader"):
        at = signed_in(username, [ROLE_OF[username]]).run()
        open_page(at, "my-password")
        assert "修改密码" in [t.value for t in at.title]


# ---- every screen checks the role itself ---------------------------------------------------------


SCREENS_NOT_FOR_LEADER = ["pages.registry:org_list", "pages.registry:org_new", "pages.registry:org_import",
                          "pages.users:render", "pages.audit:render"]


@pytest.mark.parametrize("target", SCREENS_NOT_FOR_LEADER)
@pytest.mark.parametrize("username,role", [("leader", "leader"), ("expert", "reviewer")])
def test_screen_refuses_a_role_it_does_not_allow(demo_db, target, username, role):
    at = _screen_as(username, [role], target).run()
    assert not at.exception
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.dataframe) == 0
    assert len(at.title) == 0
    assert "共 55 条" not in texts(at)


@pytest.mark.parametrize("target", ["pages.users:render", "pages.audit:render"])
def test_admin_screens_refuse_staff(demo_db, target):
    at = _screen_as("staff", ["staff"], target).run()
    assert any("无权" in plain(e.value) for e in at.error)
    assert len(at.dataframe) == 0


def test_screen_refuses_when_not_signed_in(demo_db):
    def script():
        from core import app
        from pages import registry

        app.bootstrap()
        registry.org_list()

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    assert any("请先登录" in plain(w.value) for w in at.warning)
    assert len(at.dataframe) == 0


def test_screen_allows_its_role(demo_db):
    at = _screen_as("staff", ["staff"], "pages.registry:org_list").run()
    assert not at.exception
    assert not at.error
    assert len(at.dataframe) == 1


def test_signed_out_visit_with_a_record_id_shows_nothing(demo_db):
    at = app()
    at.query_params["id"] = "3"
    open_page(at, "orgs")
    _assert_login_screen(at)
    assert "同心社会工作服务中心" not in texts(at)
    assert not [w for w in at.text_input if str(w.key).startswith("org_edit::")]


def test_admin_who_drops_their_own_admin_role_loses_the_admin_pages_at_once(demo_db):
    from core.platform import users
    from core.platform.actor import Actor

    users.update("staff", {"roles": ["admin"]}, Actor("admin", ("admin",)))  # so admin is not the last one
    at = open_page(signed_in("admin", ["admin"]).run(), "accounts")
    at.selectbox(key="users:target").set_value("admin").run()
    at.multiselect(key="user_edit::roles").set_value(["staff"])
    at.button(key="FormSubmitter:user_edit-保存修改").click().run()
    assert not at.exception
    assert list(users.get("admin")["roles"]) == ["staff"]
    assert at.session_state["roles"] == ["staff"]
    assert_pages(at, "staff")
    assert "用户与角色" not in [t.value for t in at.title]
