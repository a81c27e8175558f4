"""The pages registry (``core.navigation.PAGES``) as Streamlit pages: the one lookup of a screen's
"module:function" target, the ``st.Page`` of a screen, and the registry's start-up check.

The check runs from the entry point (``Home.py``, once per process, before the heap is frozen): it imports every
screen's module, so ``core`` below ``core.ui`` never loads a page or streamlit (``core.checks`` checks the
entities and schemas at start; the entities once more here, with every module the screens import loaded).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import streamlit as st

from core import checks, navigation
from core.navigation import PageSpec
from core.registry import all_entities

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"


def target(spec: PageSpec) -> Callable[[], None]:
    """The screen's function, from its "module:function" target (imports the module)."""
    module, _, func = spec.target.partition(":")
    return getattr(importlib.import_module(module), func)


# Streamlit serves the default page at "/" only, yet reserves its url_path (no other page may take it): the
# default page reserves this one, which no link names, and its own path (/workbench, typed or bookmarked)
# is a hidden page of its own that goes to "/" (Home.py), instead of Streamlit's English "Page not found".
DEFAULT_RESERVED = "index"


def url_path(spec: PageSpec) -> str:
    """The url_path its ``st.Page`` registers (the default page's is :data:`DEFAULT_RESERVED`)."""
    return DEFAULT_RESERVED if spec.default else spec.url_path


def page(spec: PageSpec) -> st.Page:
    """The screen as a ``st.Page`` (for ``st.navigation``, ``st.page_link`` and ``st.switch_page``)."""
    return st.Page(target(spec), title=spec.title, url_path=url_path(spec), icon=spec.icon or None,
                   default=spec.default)


def check() -> list[str]:
    """The registry's problems, with stable ids (empty when it is sound); imports every screen's module."""
    out = []
    stems = {p.stem for p in PAGES_DIR.glob("*.py")}
    seen_url, seen_key = set(), set()
    entities = {e.name for e in all_entities()}
    for p in navigation.PAGES:
        if p.url_path in seen_url:
            out.append(f"nav.E001 url_path '{p.url_path}' is used twice")
        if p.key in seen_key:
            out.append(f"nav.E002 page key '{p.key}' is used twice")
        seen_url.add(p.url_path)
        seen_key.add(p.key)
        if p.url_path == DEFAULT_RESERVED:
            out.append(f"nav.E009 url_path '{p.url_path}' is reserved for the default page (screens.DEFAULT_RESERVED)")
        if p.url_path in stems:
            out.append(f"nav.E003 url_path '{p.url_path}' equals a pages/ file stem (AppTest reruns that file directly)")
        unknown = set(p.roles) - set(navigation.ALL_ROLES)
        if unknown:
            out.append(f"nav.E004 page '{p.key}' names unknown roles {sorted(unknown)}")
        try:
            if not callable(target(p)):
                out.append(f"nav.E005 page '{p.key}' target {p.target} is not a function")
        except AttributeError:
            out.append(f"nav.E005 page '{p.key}' target {p.target} is not a function")
        except ImportError as exc:
            out.append(f"nav.E006 page '{p.key}' cannot import {p.target.partition(':')[0]}: {exc}")
        for e in p.writes:
            if e not in entities:
                out.append(f"nav.E007 page '{p.key}' writes unknown entity '{e}'")
    if sum(p.default for p in navigation.PAGES) != 1:
        out.append("nav.E008 exactly one page must be the default")
    return out + checks.check_entities()  # now that every screen's module is loaded
