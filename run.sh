#!/usr/bin/env bash
# Starts HubDesk on a fresh Debian machine (the README's first command): installs what the app needs when missing,
# then runs the app on http://localhost:8501.
#   - the Python packages (requirements.txt);
#   - Debian's libreoffice-writer-nogui (the documents' PDF, converted on the server) and fonts-noto-cjk (Chinese
#     in those PDFs and in chart images), when missing and this user may install them (root, or sudo); otherwise
#     the app still starts and its PDF buttons say the converter is missing (the Word documents work).
# Usage: bash run.sh [streamlit arguments, e.g. --server.port=8502]
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install -q --disable-pip-version-check -r requirements.txt
if ! command -v soffice >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then
  SUDO=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libreoffice-writer-nogui fonts-noto-cjk >/dev/null; } \
      || echo "run.sh: LibreOffice could not be installed; the documents' PDF buttons will say so (Word works)" >&2
  else
    echo "run.sh: LibreOffice is missing and this user cannot install it; PDF downloads are off (Word works)" >&2
  fi
fi
exec python3 -m streamlit run Home.py "$@"
