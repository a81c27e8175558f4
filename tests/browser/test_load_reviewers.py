"""Reviewers scoring at the same time in real browsers (bench/load_browser.py, shortened for CI): several
browser contexts, each signed in as a different demo reviewer, submit scores on 我的评审 against one
`streamlit run` server on loopback. Afterwards every submission a browser saw confirmed is stored with
the total the screen showed and its audit row, nothing else was submitted, the audit chain holds, and
the server's memory was measured.

CI runs 3 contexts for 20 s; ``HUBDESK_LOAD_CONTEXTS`` / ``HUBDESK_LOAD_SECONDS`` change that. The full
10 x 60 s run is done by hand: ``python3 bench/load_browser.py`` (figures in bench/RESULTS-load.md).
"""
from __future__ import annotations

import os
import sys

import pytest

from tests.browser.conftest import ARTIFACTS, chromium_executable, start_server

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))

import load  # noqa: E402  (bench/load.py)
import load_browser  # noqa: E402  (bench/load_browser.py)

CONTEXTS = int(os.environ.get("HUBDESK_LOAD_CONTEXTS") or 3)
SECONDS = float(os.environ.get("HUBDESK_LOAD_SECONDS") or 20)
APPS = 12 if SECONDS <= 30 else 40  # tasks per reviewer: more than they can score in the time


def _chromium() -> str:
    """Debian's chromium and Playwright, or skip (fail under CI=true), as the other browser tests do."""
    path = chromium_executable()
    reason = None if path else "chromium not found on PATH (Debian: apt-get install -y chromium chromium-headless-shell)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -r requirements-dev.txt)"
    if reason is None:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def test_reviewers_in_parallel_browsers_store_every_submission(tmp_path):
    executable = _chromium()
    workdir = tmp_path / "server"
    workdir.mkdir()
    scenario_file = workdir / "scenario.json"
    base, stop = start_server(workdir, "test_load_reviewers",
                              prepare=load_browser.prepare_code(CONTEXTS, APPS, scenario_file))
    try:
        scenario = load.Scenario.from_json(scenario_file.read_text(encoding="utf-8"))
        names = load_browser.reviewers_for(CONTEXTS)
        assert sorted(scenario.tasks) == sorted(names)
        assert all(len(scenario.tasks[n]) >= APPS - 2 for n in names), {n: len(t) for n, t in scenario.tasks.items()}
        pid = load_browser.server_pid(int(base.rsplit(":", 1)[1]))
        assert pid is not None, "the streamlit server's process was not found in /proc"
        run = load_browser.drive(base, executable, scenario, contexts=CONTEXTS, seconds=SECONDS, pid=pid,
                                 artifacts=ARTIFACTS)
    finally:
        stop()

    got = load_browser.stored(workdir / "hub.duckdb", scenario.round_id)
    assert run.errors == []
    assert load_browser.compare(run, got) == []
    confirmed = {c["assignment_id"]: c for c in run.confirmed}
    assert len(confirmed) == len(run.confirmed), "a task was confirmed twice"
    assert sorted(got.submitted) == sorted(confirmed)
    assert all(len(log.confirmed) >= 1 for log in run.logs), {log.username: len(log.confirmed) for log in run.logs}
    # each reviewer's submissions are their own tasks, stored under their name with the total shown
    for log in run.logs:
        for c in log.confirmed:
            assert c["assignment_id"] in scenario.tasks[log.username]
            assert got.submitted[c["assignment_id"]]["reviewer"] == log.username
            assert got.submitted[c["assignment_id"]]["total"] == pytest.approx(c["total"])
    assert got.chain_ok, got.chain_reason
    # the server's memory was measured while the browsers worked
    mem = run.memory
    assert mem["samples"] >= SECONDS, mem
    # VmHWM is read once at the end and the samples at other moments: allow 2 MB of sampling skew
    assert 0 < mem["start_mb"] < mem["signed_in_mb"] <= mem["peak_mb"] <= mem["hwm_mb"] + 2, mem
