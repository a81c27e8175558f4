"""HubDesk 枢纽台: the only script. Start-up, sign-in gate, role -> pages registry, st.navigation."""
import sys

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

st.set_page_config(page_title="HubDesk 枢纽台", page_icon=":material/hub:", layout="wide")

# Loads the URL the browser first asked for again (the navigation entry keeps it, path and query string,
# whatever Streamlit has since put in the address bar).
RELOAD_ASKED_URL = ("<script>(function(){const nav=performance.getEntriesByType('navigation')[0];"
                    "window.location.replace(nav?nav.name:window.location.href);})()</script>")

if PagesManager.uses_pages_directory and st.context.url:
    # The first run after the server starts: Streamlit has not yet seen st.navigation, so it ran this script
    # as the main page of the pages/ folder and told the browser "Page not found" for any deep link (and put
    # "/" in the address bar). From now on the process knows better: load the page asked for once more.
    PagesManager.uses_pages_directory = False
    st.html(RELOAD_ASKED_URL, unsafe_allow_javascript=True)
    st.stop()

box = st.empty()  # always there, so the elements after it keep their place from run to run
if "core.app" not in sys.modules:
    # the process's first run: importing HubDesk (pandas, DuckDB, Pandera, every schema) takes a second or
    # more before anything else could be drawn; say so from the first moment
    box.info("正在启动 HubDesk 枢纽台,请稍候……", icon=":material/hourglass_top:")

from core import app, navigation  # noqa: E402 (after the first message: see above)
from core.dashboards import warm  # noqa: E402
from core.platform import security  # noqa: E402
from core.platform.errors import HubError  # noqa: E402
from core.ui import auth, preload, screens, session  # noqa: E402
from core.ui.text import md  # noqa: E402


def _signed_out() -> None:
    """Placeholder page while signed out: the gate above has drawn the login form."""


def _no_access(spec: navigation.PageSpec):
    """The page a role's forbidden URL opens: a Chinese notice, nothing of the screen, and an audit event."""
    def notice() -> None:
        who = session.actor()
        security.log("access_refused", who.username if who else None,
                     f"打开「{spec.title}」(/{spec.url_path})", auth.client_address())
        st.title("无权访问")
        st.error("您的角色无权打开此页面。如需使用,请联系管理员调整角色。")
        st.page_link(_home_page(), label="返回工作台", icon=":material/home:")

    return notice


def _to_workbench() -> None:
    st.switch_page(_home_page())


def _home_page() -> st.Page:
    return screens.page(navigation.spec("home"))


def _starting(box):
    """From the first second of a first start: what is happening (the demo data build takes a while)."""
    box.info((app.status() or "正在启动 HubDesk 枢纽台") + ",请稍候……", icon=":material/hourglass_top:")

    def progress(done: int, total: int, label: str) -> None:
        box.progress(done / total, text=f"正在准备演示数据 … {done}/{total}:{label}")

    return progress


progress = _starting(box) if not app.ready() else None
try:
    db = app.bootstrap(progress)
    # once per process: the dashboards' figures computed in a thread before their first visit, for the hubs of the
    # accounts whose roles open 数据总览
    warm.start(db, navigation.spec("dash_overview").roles)
    if not app.heap_frozen():  # once per process: the pages registry checked (every screen imported), heap frozen
        problems = screens.check()
        if problems:
            raise app.ConfigProblem(problems)
        app.freeze_heap()
except (HubError, app.ConfigProblem) as exc:  # e.g. the file held by another server: say so, no traceback
    st.error(md(str(exc)))
    st.stop()
preload.once(box)  # the session's first run: the browser loads the elements' code while idle (core/ui/preload.py)
if db.read_only:
    st.warning(md(f"数据库文件 {db.path} 当前只能以只读方式打开(文件或数据目录只读):可以查看数据,但不能保存任何修改。"
                  "请联系系统管理员恢复写入权限后重新启动服务。"))

@st.cache_resource(show_spinner=False)
def _reminders(_db):
    """The reminder scheduler of this process (core.notify.scheduler: a daemon thread; started once)."""
    from core.notify import scheduler

    return scheduler.start(_db, url_path=lambda key: getattr(navigation.spec(key), "url_path", None))


_reminders(db)
who = auth.gate()
if who is None:
    # Every screen's URL is known while signed out (as a page that draws nothing: the gate above has drawn
    # the login form), so a bookmark, F5 or a shared link keeps its path and query string through the
    # sign-in and opens that screen afterwards, instead of Streamlit's "Page not found" and 工作台.
    signed_out = [st.Page(_signed_out, title=spec.title, url_path=screens.url_path(spec), default=spec.default,
                          icon=navigation.PLACEHOLDER_ICON) for spec in navigation.PAGES]
    signed_out += [st.Page(_signed_out, title=title, url_path=path, icon=navigation.PLACEHOLDER_ICON)
                   for title, path in (("登录", "login"), ("工作台", navigation.spec("home").url_path))]
    st.navigation(signed_out, position="hidden").run()
    st.stop()

sections: dict[str, list] = {}
hidden = [st.Page(_to_workbench, title=title, url_path=path, visibility="hidden", icon=navigation.PLACEHOLDER_ICON)
          for title, path in (("登录", "login"), ("工作台", navigation.spec("home").url_path))]
for spec in navigation.PAGES:
    if navigation.allowed(spec.key, who.roles):
        page = screens.page(spec)
        if spec.key == "inbox":  # the unread count as the sidebar's badge: "消息 (3)"
            from core.notify import inbox

            page = st.Page(screens.target(spec), title=inbox.nav_title(spec.title, who.username),
                           url_path=spec.url_path, icon=spec.icon)
        sections.setdefault(spec.section, []).append(page)
    else:  # its URL answers with a Chinese notice and nothing of the screen (the screen is not registered)
        hidden.append(st.Page(_no_access(spec), title=spec.title, url_path=spec.url_path, visibility="hidden",
                              icon=navigation.PLACEHOLDER_ICON))
sections[next(iter(sections))] += hidden  # hidden pages draw no sidebar entry wherever they sit

with st.sidebar:
    st.markdown("**HubDesk 枢纽台**")
    st.caption(f"{md(st.session_state.get('name') or who.username)} · " + "、".join(navigation.role_label(r) for r in who.roles))
auth.logout_button()
st.navigation(sections, expanded=True).run()
