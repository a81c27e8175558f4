#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs pytest.
# Usage: bash tests/run.sh [pytest args]      (CI=true makes a missing browser fail, not skip)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromium-headless-shell >/dev/null 2>&1; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-headless-shell >/dev/null
fi
# the documents' PDF (LibreOffice headless, core/documents/pdf.py) and Chinese in PDFs and chart images
if ! command -v soffice >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libreoffice-writer-nogui fonts-noto-cjk >/dev/null
fi
# Three pytest-xdist workers on this 2-core machine (measured on fresh clones of one commit, one after the other:
# -n 3 771 s, -n 2 818 s; the CPU was busy 97% of the run with three, 85% with two, the browser tests' waits for
# chromium and the server leaving the rest idle): the main browser group in one worker (one chromium and one server
# at a time; tests/browser/conftest.py groups them), everything else in the others, one of which then takes the late
# browser group (tests/conftest.py orders the work; no reordering by size). The 25 slowest tests are listed at the
# end of every run, so a slow newcomer shows at once. More arguments go after these (``-n 0``: no workers).
exec python3 -m pytest -q -n "${HUBDESK_TEST_WORKERS:-3}" --dist loadgroup --no-loadscope-reorder --durations=25 "$@"
