"""The browser loads the code of the elements HubDesk draws before the first screen that needs it (issue 17).

Streamlit's frontend loads each kind of element's code (the data grid, the select boxes, the date and number
inputs, the charts …) the first time a screen of the browser tab draws one: measured in Chromium on the demo data, a
tab's first visit of 创投批次 settled in 1.4–1.6 s, later visits in 0.5–0.6 s, and importing those modules first took
0.35 s off that first visit. So the first run of every session (the sign-in form, or the first screen of a page
load) adds one invisible script that, once the browser is idle, imports those modules one after another — the same
files, by the same address, that the frontend imports later, so it then finds them loaded. Nothing is drawn and no
request reaches the server but the static files' (cached by the browser, immutable).

The files are the installed Streamlit's own (their names carry a content hash), found by their element names; an
element whose file is not found is skipped (a Streamlit upgrade that renames one costs that head start, nothing
else). Off with ``HUBDESK_PRELOAD=0`` (the tests' servers, but for the test of this).
"""
from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import streamlit as st

# the kinds of element HubDesk's screens draw, by the name of the frontend's module that draws each
ELEMENTS = ("DataFrame", "Selectbox", "Multiselect", "DateInput", "NumberInput", "TextInput", "TextArea",
            "ArrowVegaLiteChart", "Metric", "Radio", "Checkbox", "DownloadButton", "FileUploader", "Table",
            "Slider", "ButtonGroup", "PageLink", "Progress")
_DONE = "hub_preload_sent"
# what a module file of Streamlit's build is called (element name, content hash): the only text put into the script
FILE_NAME = re.compile(r"[A-Za-z]+\.[A-Za-z0-9_-]+\.js")  # session_state: this session's page has the script

# its element container hides itself (display: none takes no place in the column, so the screen below does not
# move when the next run removes it)
SCRIPT = """<style>[data-testid='stElementContainer']:has(script#hub-preload) { display: none; }</style>
<script id="hub-preload">(function () {
  if (window.__hubPreload) return;
  window.__hubPreload = "waiting";
  const main = document.querySelector("script[src*='/static/js/index.']");
  if (!main) { window.__hubPreload = "no bundle"; return; }
  const base = main.src.slice(0, main.src.lastIndexOf("/") + 1);
  const files = %s;
  const next = (i) => {
    if (i >= files.length) { window.__hubPreload = "done"; return; }
    import(base + files[i]).catch(() => null).then(() => next(i + 1));
  };
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 500));
  idle(() => { window.__hubPreload = "loading"; next(0); }, {timeout: 3000});
})();</script>"""


@functools.cache
def files() -> tuple[str, ...]:
    """The installed Streamlit's module file of each of :data:`ELEMENTS` (those found), in that order."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = []
    for name in ELEMENTS:
        found += sorted(p.name for p in folder.glob(f"{name}.*.js") if FILE_NAME.fullmatch(p.name))
    return tuple(found)


# the markup drawn: the app's own script with the installed Streamlit's file names (no run-time text of anyone's)
PRELOAD_HTML = SCRIPT % json.dumps(list(files()))


def enabled() -> bool:
    return os.environ.get("HUBDESK_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def once(box) -> None:
    """In ``box`` (a placeholder the page keeps from run to run): the preloading script on the session's first
    run, nothing after it (the script has run by then; the browser keeps the modules for the page's life)."""
    if not enabled() or st.session_state.get(_DONE) or not files():
        box.empty()
        return
    st.session_state[_DONE] = True
    box.html(PRELOAD_HTML, unsafe_allow_javascript=True)
