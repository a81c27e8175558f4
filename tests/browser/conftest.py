"""Browser end-to-end tests: Debian's chromium driven by Playwright against a real ``streamlit run``.

Every test here is marked ``browser``. Without chromium the tests skip locally and fail under
``CI=true``. Each test module gets its own server (random port, private database and secrets file
with demo data), so the first request a module makes is the first request that server sees.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import demo_cache

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WAIT_MS = 20_000  # one bounded wait per interaction
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-gpu",
]
COOKIE_NAME = "hubdesk_auth"  # core.ui.auth.COOKIE_NAME
DEMO_PASSWORDS = {"admin": "Demo-admin-2026", "staff": "Demo-staff-2026", "expert": "Demo-expert-2026",
                  "leader": "Demo-leader-2026"}


# Browser modules that run in a pytest-xdist group of their own, taken by a worker that is not in the main
# browser group, after the tests that need no demo database (tests/conftest.py orders them), so the workers
# end on short tests. Each has a server of its own. The deep links (many page loads), the 资源与需求
# screens and the hub network's (one with two servers on PostgreSQL): about two fifths of the browser time, so the
# main group is not the run's longest stretch (junit of a quiet CI run: main group 1,572 s alone before, late 428 s).
LATE_MODULES = {"test_e2e_deep_links", "test_e2e_res_beneficiaries", "test_e2e_res_bookings", "test_e2e_res_needs",
                "test_e2e_res_partners", "test_e2e_res_publicity", "test_e2e_res_surveys", "test_e2e_res_volunteers",
                "test_e2e_resource_dashboard", "test_e2e_resource_imports", "test_e2e_venues", "test_e2e_hubs",
                "test_e2e_two_servers_pg"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            # under pytest-xdist (tests/run.sh: -n 2 --dist loadgroup) the tests of a group run in one worker,
            # one after the other as without xdist (one chromium, one server per group at a time)
            late = Path(str(item.fspath)).stem in LATE_MODULES
            item.add_marker(pytest.mark.xdist_group("browser-late" if late else "browser"))


# --- the browser -------------------------------------------------------------------------------

def chromium_executable() -> str | None:
    """Debian's chromium for the tests: its headless shell (package ``chromium-headless-shell``, the same
    Blink and V8 as ``chromium``, without the desktop browser around them; what Playwright itself runs for
    ``headless=True``) when installed, else ``chromium``. Measured on this 2-core machine: a page load in a
    new browser context costs 1.6 s of CPU instead of 2.8 s, a reload 1.0 s instead of 1.1 s."""
    return shutil.which("chromium-headless-shell") or shutil.which("chromium")


def _chromium_or_skip() -> str:
    path = chromium_executable()
    if path:
        return path
    reason = "chromium not found on PATH (Debian: apt-get install -y chromium chromium-headless-shell)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_or_skip()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-dev.txt pins playwright
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is not installed (pip install -r requirements-dev.txt)", pytrace=False)
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# Records when the app last changed: its script state, or what it shows (elements added, removed or
# re-texted). The elements of a run are drawn a little after the run ends (200-450 ms measured on a busy
# machine), so ``settle`` waits for both to be quiet.
_TRACK_SCRIPT_STATE = """
window.__hubStateChangedAt = performance.now();
new MutationObserver(() => { window.__hubStateChangedAt = performance.now(); })
  .observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["data-test-script-state"]});
"""


# CSS animations finish at once (1 ms, so their end events still fire; a looping spinner turns once): the
# software-rendering chromium otherwise repaints every frame of them. Measured: 10 page loads cost chromium and
# the server 15% less CPU. What the tests read and assert (texts, states, the URL) does not change.
# Transitions are left as they are: with Debian's chromium 150 (2026-12-08) a select box's list shortened to a
# 1 ms (or 20 ms) exit transition stayed drawn after its option was chosen, and covered the next field.
_NO_ANIMATIONS = """
(() => {
  const css = "*, *::before, *::after { animation-duration: 1ms !important; animation-delay: 0s !important;"
            + " animation-iteration-count: 1 !important; scroll-behavior: auto !important; }";
  const add = () => { const s = document.createElement("style"); s.textContent = css;
                      (document.head || document.documentElement).appendChild(s); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", add); else add();
})();
"""


def new_context(browser, **options):
    """A fresh browser profile (no cookies): Chinese locale (also picks the CJK fonts for screenshots),
    downloads allowed, bounded default timeout, script-state tracking for ``settle``, no animations.
    ``options`` go to ``browser.new_context`` (e.g. another ``viewport``)."""
    ctx = browser.new_context(**{"locale": "zh-CN", "viewport": {"width": 1400, "height": 1000},
                                 "accept_downloads": True, **options})
    ctx.set_default_timeout(WAIT_MS)
    ctx.add_init_script(_TRACK_SCRIPT_STATE)
    ctx.add_init_script(_NO_ANIMATIONS)
    return ctx


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context, request):
    p = context.new_page()
    yield p
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        screenshot(p, request.node.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def screenshot(page, name: str) -> Path | None:
    """Full-page screenshot into test-artifacts/ (git-ignored); never raises."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    try:
        page.screenshot(path=str(target), full_page=True, timeout=5_000)
    except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
        return None
    return target


# --- the server --------------------------------------------------------------------------------

def end_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process: terminate, then kill if it has not ended within ``timeout`` seconds (the tests'
    servers and the benchmarks' alike)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().decode().strip() == "ok"
    except OSError:
        return False


# base URL -> {demo username: sign-in cookie token} of the sessions made before that server started
SIGNED_IN: dict[str, dict[str, str]] = {}


def _sign_in_demo_users(workdir: Path) -> dict[str, str]:
    """A live sign-in session for each demo account in the server's database, made before the server starts
    (through ``core.platform.sessions`` with the server's files, as the login form makes them), and the cookie token
    of each: :func:`login` opens the app with it as a browser that signed in earlier does. Milliseconds,
    against a second and a half of CPU for a sign-in through the form."""
    from core.platform import db as dbm, sessions, users
    from core.platform.actor import Actor

    database = None
    with pytest.MonkeyPatch.context() as env:  # core reads the server's files, as the server will
        env.setenv("HUBDESK_DB", str(workdir / "hub.duckdb"))
        env.setenv("HUBDESK_SECRETS", str(workdir / "secrets.toml"))
        try:
            database = dbm.Database(workdir / "hub.duckdb")
            tokens = {}
            for username in DEMO_PASSWORDS:
                roles = users.active_roles(username, db=database)
                if roles:
                    sid = sessions.start(Actor(username, roles), client="127.0.0.1",
                                         user_agent="tests: signed in earlier", db=database)
                    tokens[username] = sessions.cookie_token(sid)[0]
            return tokens
        finally:
            if database is not None:
                database.close()


def start_server(workdir: Path, name: str, prepare: str = "", *, empty: bool = False, env: dict | None = None):
    """Starts ``streamlit run Home.py`` on a free port with a private demo database (``prepare``: Python
    code run after the demo data is built, before the server starts, e.g. to set up a scenario;
    ``empty``: no database at all, so the server builds the demo data itself on its first page load).

    Returns ``(base_url, stop)``; ``stop()`` terminates it (kill after 10 s) and closes the log file,
    which is kept at ``test-artifacts/server-<name>.log``.
    """
    port = _free_port()
    env = dict(os.environ, HUBDESK_DB=str(workdir / "hub.duckdb"), HUBDESK_SECRETS=str(workdir / "secrets.toml"),
               HUBDESK_DEMO="1", HUBDESK_BCRYPT_ROUNDS="4", HUBDESK_LOGIN_SLEEP="0", PYTHONUNBUFFERED="1",
               HUBDESK_BACKUP_ON_START="0", HUBDESK_BACKUP_EVERY_HOURS="0",
               HUBDESK_REMINDERS_EVERY_MINUTES="0",  # a test's env may turn the reminder job on
               HUBDESK_WARM_DASHBOARDS="0", HUBDESK_PRELOAD="0") | (env or {})  # and these (test_e2e_preload.py)
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / ("server-" + re.sub(r"[^\w.-]+", "_", name) + ".log")
    # A copy of the demo database built once per code version (tests/demo_cache.py); ``prepare`` runs in
    # its own process (no Streamlit involved, so the server is still "fresh" for the tests).
    if not empty:
        demo_cache.copy_to(workdir / "hub.duckdb")
    if prepare:
        build = subprocess.run([sys.executable, "-c", "from core import app; from core.platform import db; app.bootstrap()\n" + prepare
                                + "\ndb.close_all()"], cwd=ROOT, env=env, timeout=300, capture_output=True, text=True)
        if build.returncode != 0:
            pytest.fail(f"preparing the test database failed:\n{build.stderr[-3000:]}", pytrace=False)
    if not empty:
        SIGNED_IN[f"http://127.0.0.1:{port}"] = _sign_in_demo_users(workdir)
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        end_process(proc)
        log.close()

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _healthy(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop()
            pytest.fail(f"streamlit did not become healthy (exit code {proc.returncode}); see {log_path}\n"
                        + log_path.read_text(encoding="utf-8")[-3000:], pytrace=False)
        time.sleep(0.1)
    return base, stop


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory, request):
    """A freshly started server for this test module; yields its base URL. The module sets it up with two
    constants: ``PREPARE`` (Python run on its database before the start, see :func:`start_server`) and
    ``SERVER_ENV`` (environment variables of the server, e.g. a short refresh interval).

    Depends on ``browser`` so a missing chromium skips (or fails) before a server is started.
    """
    base, stop = start_server(tmp_path_factory.mktemp("hubdesk"), request.module.__name__.rsplit(".", 1)[-1],
                              getattr(request.module, "PREPARE", ""), env=getattr(request.module, "SERVER_ENV", None))
    try:
        yield base
    finally:
        stop()


# --- helpers -----------------------------------------------------------------------------------

def wait_for_app(page, timeout: int = WAIT_MS) -> None:
    """Waits until the app is connected and its script has finished running (like Streamlit's own
    ``e2e_playwright`` ``wait_for_app_run``), after a short pause for debounced widgets."""
    page.wait_for_timeout(200)
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


def settle(page, quiet_ms: int = 250, timeout: int = WAIT_MS) -> None:
    """``wait_for_app``, then until the script has stayed idle, and the page unchanged, for ``quiet_ms``.

    A page load is one run (the sign-in cookie is read from the request, no component reports back), but
    its elements are drawn a little after the run ends, and a run can start another: the first run after a
    server start reloads the page it was asked for, a debounced widget sends its value. A short quiet spell
    lets those finish before the test reads the page or types into what they would re-create.
    """
    wait_for_app(page, timeout)
    page.wait_for_function(
        """(quiet) => {
             const app = document.querySelector("[data-testid='stApp']");
             return !!app && app.getAttribute("data-test-script-state") === "notRunning"
                    && performance.now() - (window.__hubStateChangedAt || 0) >= quiet;
           }""",
        arg=quiet_ms, polling=100, timeout=timeout,
    )


def goto(page, url: str) -> None:
    """A full page load (a new Streamlit session) and wait until the app is idle."""
    page.goto(url, wait_until="domcontentloaded")
    settle(page)


def login(page, base: str, username: str, password: str | None = None, *, form: bool = False) -> None:
    """Opens the app at ``base`` signed in as ``username``; returns once the sidebar shows the logout button
    and the sign-in cookie is stored (so a later full page load stays signed in).

    A demo account on a server of :func:`start_server` comes as a browser that signed in earlier: with the
    cookie of the session made before the server started (``SIGNED_IN``), one page load. Through the form
    when ``form`` is set (a test about signing in, or one that needs a session of its own), when a password
    is given, or when that session has ended (a test signed out, or changed the password)."""
    token = SIGNED_IN.get(base, {}).get(username)
    if token and not form and password is None:
        page.context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": base + "/"}])
        goto(page, base + "/")
        logged_in = page.get_by_role("button", name="退出登录")
        logged_in.or_(page.get_by_label("用户名", exact=True)).first.wait_for(timeout=WAIT_MS)
        if logged_in.count():
            return
        SIGNED_IN[base].pop(username, None)  # that session ended: the form, and from now on
    password = password if password is not None else DEMO_PASSWORDS[username]
    goto(page, base + "/")
    for attempt in range(2):
        user_box = page.get_by_label("用户名", exact=True)
        pw_box = page.get_by_label("密码", exact=True)
        user_box.fill(username)
        pw_box.fill(password)
        assert user_box.input_value() == username and pw_box.input_value() == password
        page.get_by_role("button", name="登录", exact=True).click()
        wait_for_app(page)
        logged_in = page.get_by_role("button", name="退出登录")
        missing = page.get_by_text("请输入用户名和密码")
        logged_in.or_(missing).first.wait_for(timeout=WAIT_MS)
        if logged_in.count():
            break
        settle(page)  # a late rerun re-created the form and dropped the typed text: once more
    else:
        raise AssertionError(f"could not sign in as {username}: the form kept losing the typed values")
    deadline = time.monotonic() + WAIT_MS / 1000
    while not any(c["name"] == COOKIE_NAME for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError(f"signed in as {username}, but the {COOKIE_NAME} cookie was never set")
        page.wait_for_timeout(100)
    settle(page)


def expand_sidebar_nav(page) -> None:
    """Streamlit shows only the first pages of a long navigation until "View N more" is clicked."""
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if more.count() and "more" in more.inner_text():
        more.click()
        page.locator("[data-testid='stSidebarNavViewButton']", has_text="less").wait_for(timeout=WAIT_MS)


def main_text(page) -> str:
    """The text of the page's main area (the sidebar left out)."""
    return page.locator("[data-testid='stMain']").inner_text()


def sidebar_links(page):
    """Every navigation link in the sidebar (the list expanded first)."""
    page.locator("[data-testid='stSidebarNav']").wait_for(timeout=WAIT_MS)
    expand_sidebar_nav(page)
    return page.locator("[data-testid='stSidebarNav'] a[data-testid='stSidebarNavLink']")


def sidebar_link(page, title: str):
    return sidebar_links(page).filter(has=page.get_by_text(title, exact=True))


def open_screen(page, title: str) -> None:
    """Clicks a sidebar navigation link (keeps the signed-in session) and waits for the screen."""
    sidebar_link(page, title).first.click()
    wait_for_app(page)
    page.get_by_role("heading", name=title).first.wait_for(timeout=WAIT_MS)
    settle(page)
