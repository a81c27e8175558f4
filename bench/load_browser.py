"""The browser-level load check (issue 8): reviewers in real browsers score applications at the same time
against one ``streamlit run`` server on loopback; afterwards every submission a browser saw confirmed
must be stored (and nothing else), and the server's memory is reported.

    python3 bench/load_browser.py [--contexts 10] [--seconds 60] [--apps 40] [--wait-quiet SECONDS]
                                  [--out bench/RESULTS-load.md] [--no-write]

1. **Server.** ``tests.browser.conftest.start_server`` builds the demo database in a child process,
   runs :func:`prepare_server` there (through ``bench/load.py``'s :func:`load.prepare`: a round under
   expert review, ``压力测试批次``, whose applications are all assigned to the first ``contexts`` demo
   reviewer accounts — ``expert``, ``expert01`` … — with their per-round cap raised; conflicts of
   interest are respected), then starts ``streamlit run Home.py`` on a free loopback port.
2. **Browsers.** One headless chromium (Debian's, via Playwright's async API), one browser context per
   reviewer (own cookies, own Streamlit session). The reviewers sign in through the form one after
   another (sign-ins at the same moment lose typed text to the cookie component's late rerun) and open
   我的评审; then all start together and, until ``seconds`` have passed, take their next task: pick it in
   the task list, 确认无利益冲突, type the six scores (each one reruns the live form), choose the
   recommendation, 提交评分 and 确认提交评分, and wait for the screen to confirm the submission with its total. A task
   started before the deadline is finished.
3. **Memory.** The server's resident memory (VmRSS from ``/proc/<pid>/status``) is sampled every 0.5 s:
   after start, after the sign-ins, at the peak and at the end, and the kernel's high-water mark; and
   the CPU the server used while the reviewers scored, beside the whole machine's (the browsers run on
   the same machine, which they would not in use).
4. **Check.** After the server is stopped, the database is opened: the submitted reviews of the round
   must be exactly the ones the browsers saw confirmed, each with the total the screen showed and its
   ``submit_review`` audit row by that reviewer; the audit chain must hold.

``tests/browser/test_load_reviewers.py`` runs this shortened in CI (``HUBDESK_LOAD_CONTEXTS``,
``HUBDESK_LOAD_SECONDS``; default 3 contexts for 20 s).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import load  # noqa: E402  (bench/load.py)

from core.demo.reviews import DEMO_EXPERT, EXPERT_COUNT, PASSWORD  # noqa: E402  (the README's demo reviewers)

REVIEWERS = [DEMO_EXPERT] + [f"expert{i:02d}" for i in range(1, EXPERT_COUNT + 1)]  # expert, expert01 … expert25
SUBMIT = "提交评分"  # then 确认提交评分 in the box that says it cannot be undone
WAIT_MS = 60_000  # one bounded wait per step: generous, the machine is loaded on purpose
SAMPLE_S = 0.5


def reviewers_for(n: int) -> list[str]:
    if not 1 <= n <= len(REVIEWERS):
        raise ValueError(f"between 1 and {len(REVIEWERS)} demo reviewer accounts")
    return REVIEWERS[:n]


# ==== the server's database ===========================================================================
def prepare_server(contexts: int, apps: int, out: str) -> None:
    """Run in start_server's build process, after the demo data: the scenario, written to ``out``."""
    from core.platform.db import get_db

    scenario = load.prepare(get_db(), reviewers=reviewers_for(contexts), apps=apps, create_accounts=False,
                            projects=1)
    Path(out).write_text(scenario.to_json(), encoding="utf-8")


def prepare_code(contexts: int, apps: int, out: Path) -> str:
    """The ``prepare`` argument of ``start_server`` (Python run after the demo database is built)."""
    return (f"import sys\nsys.path.insert(0, {str(BENCH)!r})\nimport load_browser\n"
            f"load_browser.prepare_server({contexts}, {apps}, {str(out)!r})\n")


# ==== the server's memory =============================================================================
def server_pid(port: int) -> int | None:
    """The ``streamlit run`` process listening on ``port`` (found by its command line in /proc)."""
    flag = f"--server.port={port}"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if flag.encode() in args and any(b"streamlit" in a for a in args):
            return int(entry.name)
    return None


def _status_kb(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int | None) -> float:
    """CPU seconds used so far by process ``pid`` (user + system), or by the whole machine (None)."""
    hz = os.sysconf("SC_CLK_TCK")
    try:
        if pid is None:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
            return sum(int(x) for i, x in enumerate(fields) if i not in (3, 4)) / hz
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / hz
    except OSError:
        return float("nan")


class MemorySampler:
    """VmRSS of a process every ``SAMPLE_S`` seconds, in a background thread; ``mark(label)`` notes the
    current value under a label."""

    def __init__(self, pid: int):
        self.pid, self.samples, self.marks, self.cpu = pid, [], {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = _status_kb(self.pid, "VmRSS")
            if rss is not None:
                self.samples.append(rss)
            self._stop.wait(SAMPLE_S)

    def start(self) -> "MemorySampler":
        self.mark("start")
        self._thread.start()
        return self

    def mark(self, label: str) -> None:
        self.marks[label] = _status_kb(self.pid, "VmRSS")
        self.cpu[label] = (time.perf_counter(), _cpu_seconds(self.pid), _cpu_seconds(None))

    def stop(self) -> dict:
        self.mark("end")
        hwm = _status_kb(self.pid, "VmHWM")
        self._stop.set()
        self._thread.join(timeout=5)
        mb = lambda kb: None if kb is None else round(kb / 1024, 1)  # noqa: E731
        out = {"pid": self.pid, **{f"{k}_mb": mb(v) for k, v in self.marks.items()},
               "peak_mb": mb(max(self.samples, default=None) if self.samples else None), "hwm_mb": mb(hwm),
               "samples": len(self.samples)}
        if "signed_in" in self.cpu:  # CPU over the scoring: the server's, and the whole machine's
            (t0, s0, m0), (t1, s1, m1) = self.cpu["signed_in"], self.cpu["end"]
            out["server_cores"] = round((s1 - s0) / (t1 - t0), 2)
            out["machine_cores"] = round((m1 - m0) / (t1 - t0), 2)
        return out


# ==== one reviewer in one browser context ============================================================
def _css_key(key: str) -> str:
    return "st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


async def wait_for_app(page, timeout: int = WAIT_MS) -> None:
    """As ``tests.browser.conftest.wait_for_app``, for the async API."""
    await page.wait_for_timeout(200)
    await page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout)
    await page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


async def settle(page, quiet_ms: int = 250, timeout: int = WAIT_MS) -> None:
    """As ``tests.browser.conftest.settle``: until the script has stayed idle for ``quiet_ms``."""
    await wait_for_app(page, timeout)
    await page.wait_for_function(
        """(quiet) => {
             const app = document.querySelector("[data-testid='stApp']");
             return !!app && app.getAttribute("data-test-script-state") === "notRunning"
                    && performance.now() - (window.__hubStateChangedAt || 0) >= quiet;
           }""",
        arg=quiet_ms, polling=100, timeout=timeout)


async def login(page, base: str, username: str, password: str) -> None:
    """As ``tests.browser.conftest.login``: the form, then the sign-in cookie. The form may be drawn
    again by a late rerun and lose what was typed; then no answer comes and the form is empty again: wait
    for a longer quiet spell and type once more."""
    from tests.browser.conftest import COOKIE_NAME

    await page.goto(base + "/", wait_until="domcontentloaded")
    out = page.get_by_role("button", name="退出登录")
    for attempt in range(5):
        await settle(page, quiet_ms=250 * (attempt + 1))
        user, pw = page.get_by_label("用户名", exact=True), page.get_by_label("密码", exact=True)
        await user.fill(username)
        await pw.fill(password)
        if (await user.input_value(), await pw.input_value()) != (username, password):
            continue
        await page.get_by_role("button", name="登录", exact=True).click()
        await wait_for_app(page)
        try:
            await out.or_(page.get_by_text("请输入用户名和密码")).first.wait_for(timeout=10_000)
        except Exception:  # noqa: BLE001 - the click met a re-drawn, empty form: no answer at all
            continue
        if await out.count():
            break
    else:
        raise AssertionError(f"could not sign in as {username}: the form kept losing the typed values")
    deadline = time.monotonic() + WAIT_MS / 1000
    while not any(c["name"] == COOKIE_NAME for c in await page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError(f"signed in as {username}, but no sign-in cookie")
        await page.wait_for_timeout(100)
    await settle(page)


@dataclass
class ReviewerLog:
    username: str
    confirmed: list[dict] = field(default_factory=list)  # assignment_id, total, recommendation, cycle_s, submit_s
    errors: list[str] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)  # tasks begun whose outcome the browser did not see
    signed_in_s: float | None = None


async def _open_task(page, aid: int) -> None:
    await page.locator(f".{_css_key('task')} [data-testid='stSelectbox']").click()
    await page.keyboard.type(str(aid))
    await page.get_by_role("option", name=re.compile(rf"^{aid} · ")).first.click()
    await settle(page, quiet_ms=300)


async def score_one(page, aid: int, criteria: list[dict], rng: random.Random) -> dict:
    """One task from the task list to the confirmed submission; returns what the screen confirmed."""
    began = time.perf_counter()
    await _open_task(page, aid)
    confirm = page.get_by_role("button", name="确认无利益冲突")
    form = page.locator(f".{_css_key(f'score:{aid}__live')}")
    await confirm.or_(form).first.wait_for(timeout=WAIT_MS)
    if await confirm.count():
        await confirm.click()
        await settle(page, quiet_ms=300)
    await form.wait_for(timeout=WAIT_MS)
    scores = {}
    for c in criteria:
        top = float(c["max_score"])
        value = rng.randint(math.ceil(0.6 * top), int(top))  # at least 60%: no comment required
        scores[c["id"]] = value
        key = f"score:{aid}::score_{c['id']}"
        box = page.locator(f".{_css_key(key)} input")
        await box.fill(str(value))
        await box.press("Tab")  # commits the value: the live form reruns
        await wait_for_app(page)
    rec = rng.choice(("推荐", "可推荐", "不推荐"))
    await page.locator(f".{_css_key(f'score:{aid}::recommendation')} [data-testid='stSelectbox']").click()
    await page.get_by_role("option", name=rec, exact=True).click()
    await settle(page, quiet_ms=300)
    weights = sum(float(c["weight"]) for c in criteria)
    total = round(sum(float(c["weight"]) * scores[c["id"]] / float(c["max_score"]) for c in criteria)
                  / weights * 100, 2)
    clicked = time.perf_counter()
    await page.get_by_role("button", name=SUBMIT).click()
    await settle(page, quiet_ms=300)
    await page.get_by_role("button", name="确认" + SUBMIT).click()  # it asks first
    done = re.compile(rf"^已于 \d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}} 提交,加权总分 {total:.2f},推荐意见:{rec}。$")
    await page.locator("[data-testid='stAlert']").get_by_text(done).wait_for(timeout=WAIT_MS)
    seen = time.perf_counter()
    await wait_for_app(page)
    return {"assignment_id": aid, "total": total, "recommendation": rec, "cycle_s": seen - began,
            "submit_s": seen - clicked}


async def _screenshot(page, artifacts: Path | None, name: str) -> None:
    if artifacts is None:
        return
    artifacts.mkdir(exist_ok=True)
    try:
        await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True, timeout=5_000)
    except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
        pass


async def _reviewer(browser, base: str, username: str, tasks: list[int], criteria: list[dict], seed: int,
                    signing_in: asyncio.Lock, ready: asyncio.Barrier, go: asyncio.Event, deadline: list[float],
                    log: ReviewerLog, artifacts: Path | None) -> None:
    from tests.browser.conftest import _TRACK_SCRIPT_STATE

    ctx = page = None
    rng = random.Random(seed)
    try:
        try:
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            ctx.set_default_timeout(WAIT_MS)
            await ctx.add_init_script(_TRACK_SCRIPT_STATE)
            page = await ctx.new_page()
            async with signing_in:  # one at a time: the measured part is the scoring
                t0 = time.perf_counter()
                await login(page, base, username, PASSWORD)
                await page.goto(base + "/my-reviews", wait_until="domcontentloaded")
                await settle(page)
                await page.get_by_role("heading", name="我的评审").first.wait_for(timeout=WAIT_MS)
                log.signed_in_s = time.perf_counter() - t0
        finally:
            await ready.wait()  # nobody starts scoring before everyone is signed in (or has failed to)
        if log.signed_in_s is None:
            return
        await go.wait()
        for aid in tasks:
            if time.perf_counter() >= deadline[0]:
                break
            try:
                log.confirmed.append(await score_one(page, aid, criteria, rng))
            except Exception as exc:  # noqa: BLE001 - reported; the run goes on with the next task
                log.unconfirmed.append(aid)
                log.errors.append(f"task {aid}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
                await _screenshot(page, artifacts, f"load-{username}-{aid}")
                await page.goto(base + "/my-reviews", wait_until="domcontentloaded")
                await settle(page)
        else:
            if time.perf_counter() < deadline[0]:
                log.errors.append(f"ran out of tasks ({len(tasks)}) before the deadline")
    except Exception as exc:  # noqa: BLE001
        log.errors.append(f"{'signing in' if log.signed_in_s is None else 'scoring'}: {type(exc).__name__}:"
                          f" {str(exc).splitlines()[0][:300]}")
        if page is not None:
            await _screenshot(page, artifacts, f"load-{username}-{'signin' if log.signed_in_s is None else 'end'}")
    finally:
        if ctx is not None:
            await ctx.close()


@dataclass
class BrowserRun:
    contexts: int
    seconds: float
    window_s: float  # from the common start to the last confirmation
    logs: list[ReviewerLog]
    memory: dict = field(default_factory=dict)

    @property
    def confirmed(self) -> list[dict]:
        return [dict(c, reviewer=log.username) for log in self.logs for c in log.confirmed]

    @property
    def errors(self) -> list[str]:
        return [f"{log.username}: {e}" for log in self.logs for e in log.errors]

    @property
    def unconfirmed(self) -> list[int]:
        return [a for log in self.logs for a in log.unconfirmed]


async def _drive(base: str, executable: str, scenario: load.Scenario, contexts: int, seconds: float,
                 on_ready, artifacts: Path | None) -> BrowserRun:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    names = reviewers_for(contexts)
    logs = [ReviewerLog(n) for n in names]
    signing_in, ready, go, deadline = asyncio.Lock(), asyncio.Barrier(contexts + 1), asyncio.Event(), [math.inf]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            jobs = [asyncio.create_task(_reviewer(browser, base, n, scenario.tasks[n], scenario.criteria, 8000 + i,
                                                  signing_in, ready, go, deadline, logs[i], artifacts))
                    for i, n in enumerate(names)]
            await ready.wait()
            on_ready()
            began = time.perf_counter()
            deadline[0] = began + seconds
            go.set()
            await asyncio.gather(*jobs)
            window = time.perf_counter() - began
        finally:
            await browser.close()
    return BrowserRun(contexts, seconds, window, logs)


def drive(base: str, executable: str, scenario: load.Scenario, *, contexts: int, seconds: float,
          pid: int | None = None, artifacts: Path | None = None) -> BrowserRun:
    """The browsers against the server at ``base`` (run in a thread of its own, so it works beside a
    running sync Playwright too); memory of ``pid`` sampled meanwhile."""
    sampler = MemorySampler(pid).start() if pid else None
    out: dict = {}

    def target() -> None:
        try:
            out["run"] = asyncio.run(_drive(base, executable, scenario, contexts, seconds,
                                            (lambda: sampler.mark("signed_in")) if sampler else (lambda: None),
                                            artifacts))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = exc

    t = threading.Thread(target=target, name="browsers")
    t.start()
    t.join()
    if "error" in out:
        if sampler:
            sampler.stop()
        raise out["error"]
    run = out["run"]
    if sampler:
        run.memory = sampler.stop()
    return run


# ==== the check ======================================================================================
@dataclass
class Stored:
    submitted: dict[int, dict]  # assignment id -> reviewer, total, recommendation
    audited: dict[int, list[str]]  # assignment id -> actors of its submit_review audit rows
    chain_ok: bool
    chain_reason: str


def stored(db_path: Path, round_id: int) -> Stored:
    """What the database holds for the round (open it only after the server has stopped)."""
    from core.platform import audit
    from core.platform.db import Database

    db = Database(db_path)
    try:
        rows = db.fetch_all(
            "SELECT v.id, v.assignment_id, v.reviewer, v.total, v.recommendation FROM reviews v"
            " JOIN applications a ON a.id = v.application_id WHERE a.round_id = ? AND v.status = 'submitted'",
            [round_id])
        by_review = {str(r["id"]): r["assignment_id"] for r in rows}
        audited: dict[int, list[str]] = {r["assignment_id"]: [] for r in rows}
        for r in db.fetch_all("SELECT row_key, actor FROM audit_log WHERE table_name = 'reviews'"
                              " AND action = 'submit_review'"):
            if r["row_key"] in by_review:
                audited[by_review[r["row_key"]]].append(r["actor"])
        from core.platform import secrets_file

        # the server's audit key: the secrets file beside its database (start_server puts it there)
        chain = audit.verify(db, keyring=secrets_file.audit_keys(db_path.parent / "secrets.toml", create=False))
        return Stored({r["assignment_id"]: {"reviewer": r["reviewer"], "total": float(r["total"]),
                                            "recommendation": r["recommendation"]} for r in rows},
                      audited, chain.ok, chain.reason)
    finally:
        db.close()


def compare(run: BrowserRun, got: Stored) -> list[str]:
    """Differences between what the browsers saw confirmed and what is stored (empty: all stored)."""
    problems = []
    seen = {c["assignment_id"]: c for c in run.confirmed}
    for aid, c in seen.items():
        s = got.submitted.get(aid)
        if s is None:
            problems.append(f"task {aid}: confirmed in {c['reviewer']}'s browser, not stored")
        elif (s["reviewer"], round(s["total"], 2), s["recommendation"]) != (c["reviewer"], c["total"], c["recommendation"]):
            problems.append(f"task {aid}: stored {s}, the screen confirmed {c}")
        elif got.audited.get(aid) != [c["reviewer"]]:
            problems.append(f"task {aid}: submit_review audit rows by {got.audited.get(aid)}")
    maybe = set(run.unconfirmed)
    for aid in got.submitted.keys() - seen.keys():
        if aid not in maybe:  # a task whose browser failed may have been stored just before the failure
            problems.append(f"task {aid}: stored as submitted, but no browser submitted it")
    if not got.chain_ok:
        problems.append(f"audit chain broken: {got.chain_reason}")
    return problems


# ==== reporting ======================================================================================
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def markdown_report(run: BrowserRun, got: Stored, problems: list[str], info: dict) -> str:
    conf = run.confirmed
    cycles = [c["cycle_s"] for c in conf]
    submits = [c["submit_s"] for c in conf]
    mem = run.memory
    per = ", ".join(f"{log.username} {len(log.confirmed)}" for log in run.logs)
    lines = [
        f"### {run.contexts} reviewers × {run.seconds:g} s",
        "",
        f"Run {info['started']} – {info['ended']} with `{info['command']}`.",
        "",
        f"- **{run.contexts}** browser contexts (one headless chromium), each signed in as a different demo"
        f" reviewer, scoring for **{run.seconds:g} s** (last confirmation {run.window_s:.1f} s after the common"
        f" start) against one `streamlit run` server on 127.0.0.1; demo database plus the scenario"
        f" ({info['tasks']} tasks per reviewer, set up before the server started).",
        "",
        *load.machine_section(info),
        "#### Results",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| submissions confirmed on screen | {len(conf)} ({len(conf) / run.window_s * 60:.1f} per minute) |",
        f"| submitted reviews stored in the database | {len(got.submitted)} |",
        f"| confirmed but not stored / stored but not submitted | {sum('not stored' in p for p in problems)} /"
        f" {sum('no browser submitted' in p for p in problems)} |",
        f"| browser errors (timeouts, missing elements) | {len(run.errors)} |",
        f"| one task, list → confirmed (s): p50 / p95 / max | {_pct(cycles, 50):.1f} / {_pct(cycles, 95):.1f} /"
        f" {max(cycles, default=float('nan')):.1f} |",
        f"| 提交评分 click → confirmation on screen (s): p50 / p95 / max | {_pct(submits, 50):.2f} /"
        f" {_pct(submits, 95):.2f} / {max(submits, default=float('nan')):.2f} |",
        f"| server RSS after start / after the sign-ins / peak / at the end (MB) | {mem.get('start_mb')} /"
        f" {mem.get('signed_in_mb')} / {mem.get('peak_mb')} / {mem.get('end_mb')} |",
        f"| server VmHWM (kernel's high-water mark, MB) | {mem.get('hwm_mb')} |",
        f"| CPU while scoring: the server / the whole machine (cores of 2; the rest is chromium) |"
        f" {mem.get('server_cores')} / {mem.get('machine_cores')} |",
        f"| audit chain | {'intact' if got.chain_ok else 'BROKEN: ' + got.chain_reason} |",
        "",
        f"Submissions per reviewer: {per}.",
    ]
    if run.errors:
        lines += ["", "Browser errors:", ""] + [f"- {e}" for e in run.errors[:10]]
    if problems:
        lines += ["", "Problems found by the check:", ""] + [f"- {p}" for p in problems[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from tests.browser.conftest import start_server

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contexts", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--apps", type=int, default=40, help="applications under review (each reviewer gets all)")
    ap.add_argument("--out", type=Path, default=load.RESULTS)
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before the browsers start, wait up to this long for other processes to go quiet")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    executable = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if not executable:
        raise SystemExit("chromium not found on PATH (Debian: apt-get install -y chromium chromium-headless-shell)")
    workdir = Path(tempfile.mkdtemp(prefix="hubdesk-load-browser-"))
    scenario_file = workdir / "scenario.json"
    try:
        print("building the demo database and the scenario, starting the server ...", flush=True)
        base, stop = start_server(workdir, "load_browser", prepare=prepare_code(args.contexts, args.apps, scenario_file))
        try:
            scenario = load.Scenario.from_json(scenario_file.read_text(encoding="utf-8"))
            pid = server_pid(int(base.rsplit(":", 1)[1]))
            mine = (pid,) if pid else ()  # the server is part of the measurement, not "other"
            if args.wait_quiet:
                load.wait_quiet(args.wait_quiet, exclude=mine)
            other, busy = load.cpu_busy_other(exclude=mine), load.busy_processes(exclude=mine)
            if other > 0.3:
                print(f"warning: other processes are using {other:.2f} CPU cores: " + "; ".join(busy), flush=True)
            load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            started = dt.datetime.now()
            print(f"{args.contexts} reviewers signing in, then scoring for {args.seconds:g} s ...", flush=True)
            run = drive(base, executable, scenario, contexts=args.contexts, seconds=args.seconds, pid=pid,
                        artifacts=ROOT / "test-artifacts")
            ended = dt.datetime.now()
            load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        finally:
            stop()
        got = stored(workdir / "hub.duckdb", scenario.round_id)
        problems = compare(run, got)
        print(f"confirmed {len(run.confirmed)}, stored {len(got.submitted)}, browser errors {len(run.errors)},"
              f" problems {len(problems)}; memory {run.memory}")
        for line in run.errors[:10] + problems[:10]:
            print("  " + line)
        if not args.no_write:
            info = {"started": started.isoformat(timespec="seconds"), "ended": ended.isoformat(timespec="seconds"),
                    "command": "python3 bench/load_browser.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "machine": load.machine(), "load_start": load_start, "load_end": load_end, "other_cpu": other,
                    "busy": busy, "tasks": min(len(t) for t in scenario.tasks.values())}
            load.write_section(args.out, "browser", markdown_report(run, got, problems, info))
            print(f"written to {args.out}")
        return 0 if not problems and not run.errors else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
