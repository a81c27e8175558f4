"""Sign-in as a person feels it (issue 17): Debian's chromium (Playwright) against a real ``streamlit run``
on a copy of the demo database, the demo accounts' passwords re-hashed at the production bcrypt cost.

    python3 bench/signin.py [--starts 3] [--repeat 10] [--user admin]

Measured, in the browser's own clock (``performance.now()``):

- **login page after start**: the first page load a fresh server answers, navigation start to the settled
  login form (the person's wait before they can type);
- **first after start**: a fresh server (one per ``--starts``); the login page is loaded and settled, then the
  time from the click on 登录 to the settled 工作台 (the 退出登录 button there, the script not running, and
  the page's last change: the settle of tests/browser/conftest.py, its quiet spell not counted);
- **repeated**: the same on the last server, ``--repeat`` times, each in a fresh browser context (a person
  opening the app anew; the page load before the click is not counted);
- **wrong password**: click to the settled refusal (用户名或密码不正确); each is followed by one right sign-in
  (not counted) so the lockout never triggers;
- **cookie**: a fresh browser context that holds the sign-in cookie loads ``/``: navigation start to the
  settled 工作台.

Two floors are measured in the same run, interleaved with the repeated sign-ins, so the conclusions rest on
ratios (the machine is shared): 登录 clicked on an empty form (a run that does no work: the browser's and
Streamlit's round trip), and one bcrypt check at the production cost in this process. A sign-in cannot be
faster than their sum plus drawing 工作台.

Prints a markdown table (median, p95, min, max, n, and the sign-ins' ratio to the floors) and the load
average. Nothing here runs in CI.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser import conftest as b  # noqa: E402  (start_server, chromium_executable, CHROMIUM_ARGS …)

# Runs in start_server's preparing child process: the server itself runs with the tests' low bcrypt cost
# (tests/demo_cache.FAST_ENV, which start_server sets), so the demo accounts' stored hashes are made again at
# the production cost (core.platform.config's default): checking a password costs what it costs in use.
REHASH = """
import os
os.environ.pop("HUBDESK_BCRYPT_ROUNDS", None)
from core.platform import config, passwords
rounds = config.load().bcrypt_rounds
assert rounds >= 12, rounds
with db.get_db().transaction() as tx:
    for user, pw in {passwords!r}.items():
        tx.execute("UPDATE users SET password_hash = ? WHERE username = ?", [passwords.hash_password(pw), user])
print("rehashed at cost", rounds)
"""

# The page's last *visible* change (script state or DOM) in the page's clock, once the app has stayed idle.
# Changes inside a <canvas> are left out: a canvas's child elements are fallback content that is never drawn
# (the data grid keeps its accessibility table there and rewrites it ~300 ms after it has drawn the grid, so
# counting it put every screen with a table 0.3 s late; seen in a mutation log of 社会组织台账 and 场地资源,
# 2026-12-08). ``settle`` still waits for every change, these included, before the next step.
TRACK_DRAWN = """
window.__hubDrawnAt = performance.now();
new MutationObserver((records) => {
  for (const r of records) {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (el && el.tagName !== "CANVAS" && !(el.closest && el.closest("canvas"))) {
      window.__hubDrawnAt = performance.now();
      return;
    }
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["data-test-script-state"]});
"""
LAST_CHANGE = "() => window.__hubDrawnAt"


def new_context(browser, **options):
    """The tests' browser context (``tests.browser.conftest.new_context``) that also tracks the last visible
    change (``TRACK_DRAWN``)."""
    ctx = b.new_context(browser, **options)
    ctx.add_init_script(TRACK_DRAWN)
    return ctx


def _settled_at(page) -> float:
    b.settle(page)
    return page.evaluate(LAST_CHANGE)


def _login_page(browser, base, timed: list | None = None):
    """A fresh browser context on the login form (settled); with ``timed``, appends the seconds from the
    navigation's start to the settled form (wall clock: the first run after a start reloads the page)."""
    ctx = new_context(browser)
    page = ctx.new_page()
    start = time.time()
    b.goto(page, base + "/")
    page.get_by_label("用户名", exact=True).wait_for()
    if timed is not None:
        timed.append(page.evaluate("() => performance.timeOrigin + window.__hubDrawnAt") / 1000 - start)
    return ctx, page


def _submit(page, username: str, password: str) -> float:
    """Fills the form, clicks 登录; returns the click's time in the page's clock."""
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    button = page.get_by_role("button", name="登录", exact=True)
    button.wait_for()
    t0 = page.evaluate("() => performance.now()")
    button.click()
    return t0


def sign_in(browser, base, username: str, password: str, timed: list | None = None) -> tuple[float, object]:
    """Seconds from the click on 登录 to the settled 工作台; and the context (holding the cookie)."""
    ctx, page = _login_page(browser, base, timed)
    t0 = _submit(page, username, password)
    page.get_by_role("button", name="退出登录").wait_for()
    page.get_by_role("heading", name="工作台").first.wait_for()
    t1 = _settled_at(page)
    if not any(c["name"] == b.COOKIE_NAME for c in ctx.cookies()):
        raise AssertionError("signed in, but no sign-in cookie")
    return (t1 - t0) / 1000, ctx


def wrong_password(browser, base, username: str) -> float:
    ctx, page = _login_page(browser, base)
    try:
        t0 = _submit(page, username, "Not-the-password-1")
        page.get_by_text("用户名或密码不正确").wait_for()
        return (_settled_at(page) - t0) / 1000
    finally:
        ctx.close()


def empty_submit(browser, base) -> float:
    """The floor of a form's felt time in the same run: 登录 clicked on an empty form, to the settled
    请输入用户名和密码 (a run that checks nothing and reads nothing)."""
    ctx, page = _login_page(browser, base)
    try:
        button = page.get_by_role("button", name="登录", exact=True)
        t0 = page.evaluate("() => performance.now()")
        button.click()
        page.get_by_text("请输入用户名和密码").wait_for()
        return (_settled_at(page) - t0) / 1000
    finally:
        ctx.close()


def bcrypt_floor(password: str) -> float:
    """One bcrypt check at the production cost in this process, now (the machine's load included)."""
    import bcrypt

    hashed = _HASHED.setdefault(password, bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=_production_rounds())))
    t = time.perf_counter()
    bcrypt.checkpw(password.encode(), hashed)
    return time.perf_counter() - t


_HASHED: dict[str, bytes] = {}


def _production_rounds() -> int:
    saved = os.environ.pop("HUBDESK_BCRYPT_ROUNDS", None)
    try:
        from core.platform import config

        return config.load().bcrypt_rounds
    finally:
        if saved is not None:
            os.environ["HUBDESK_BCRYPT_ROUNDS"] = saved


def cookie_sign_in(browser, base, cookies: list[dict]) -> float:
    ctx = new_context(browser)
    try:
        ctx.add_cookies([c for c in cookies if c["name"] == b.COOKIE_NAME])
        page = ctx.new_page()
        page.goto(base + "/", wait_until="domcontentloaded")
        page.get_by_role("button", name="退出登录").wait_for()
        page.get_by_role("heading", name="工作台").first.wait_for()
        return _settled_at(page) / 1000  # performance.now() counts from the navigation's start
    finally:
        ctx.close()


def _stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, max(0, round(0.95 * len(xs) + 0.5) - 1))]
    return (f"{statistics.median(xs):.2f} | {p95:.2f} | {xs[0]:.2f} | {xs[-1]:.2f} | {len(xs)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=3, help="fresh servers, one first sign-in each")
    ap.add_argument("--repeat", type=int, default=10, help="repeated sign-ins (and wrong passwords, cookie loads)")
    ap.add_argument("--user", default="admin", choices=sorted(b.DEMO_PASSWORDS))
    ap.add_argument("--keep-server", action="store_true", help="print the last server's URL and pid, wait for Enter")
    args = ap.parse_args(argv)
    executable = b.chromium_executable()
    if not executable:
        sys.exit("chromium not found (apt-get install -y chromium chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    user, password = args.user, b.DEMO_PASSWORDS[args.user]
    prepare = REHASH.format(passwords=b.DEMO_PASSWORDS)
    rows: dict[str, list[float]] = {"page": [], "first": [], "repeated": [], "wrong": [], "cookie": [],
                                    "empty": [], "bcrypt": []}
    load_before = os.getloadavg()
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="bench-signin-") as tmp:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=b.CHROMIUM_ARGS)
        for i in range(args.starts):
            base, stop = b.start_server(Path(tmp) / f"s{i}", f"bench-signin-{i}", prepare,
                                        env={"HUBDESK_WARM_DASHBOARDS": "1", "HUBDESK_PRELOAD": "1"})  # as in production
            try:
                seconds, ctx = sign_in(browser, base, user, password, rows["page"])
                ctx.close()
                rows["first"].append(seconds)
                print(f"start {i + 1}: login page {rows['page'][-1]:.2f} s, first sign-in {seconds:.2f} s", flush=True)
                if i < args.starts - 1:
                    continue
                cookies = None
                for _ in range(args.repeat):  # the floors, interleaved with what they are the floor of
                    rows["empty"].append(empty_submit(browser, base))
                    rows["bcrypt"].append(bcrypt_floor(password))
                    seconds, ctx = sign_in(browser, base, user, password)
                    rows["repeated"].append(seconds)
                    cookies = ctx.cookies()
                    ctx.close()
                for _ in range(args.repeat):
                    rows["wrong"].append(wrong_password(browser, base, user))
                    sign_in(browser, base, user, password)[1].close()  # the count starts afresh
                for _ in range(args.repeat):
                    rows["cookie"].append(cookie_sign_in(browser, base, cookies))
                if args.keep_server:
                    input(f"server {base} (Enter stops it) ")
            finally:
                stop()
        browser.close()
    load_after = os.getloadavg()
    names = {"page": "login page after a server start (navigation to the settled form)", "first": "first sign-in after a server start (form)", "repeated": "later sign-in (form)",
             "wrong": "wrong password (form, to the refusal)", "cookie": "cookie sign-in (page load with the cookie)",
             "empty": "floor: 登录 on an empty form, to the settled 请输入用户名和密码",
             "bcrypt": "floor: one bcrypt check at the production cost (bench process)"}
    print()
    print(f"Sign-in as `{user}`, bcrypt cost of the stored hash: production default; chromium headless, "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} cores.")
    print()
    floor = statistics.median(rows["empty"]) + statistics.median(rows["bcrypt"]) if rows["empty"] else None
    print("| what | median s | p95 s | min s | max s | n | median / (empty form + bcrypt) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, xs in rows.items():
        if xs:
            ratio = f"{statistics.median(xs) / floor:.2f}" if floor and key in ("first", "repeated", "wrong") else ""
            print(f"| {names[key]} | {_stats(xs)} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
