"""The generic screen of every entity that declares one (``core.platform.entities.Screen``): the ``ModelAdmin`` view.

One page: 列表 (search, filters, sort, pages, Excel export; the selected record's 详情 / 编辑 / 修改记录 below it),
新建 and 导入. What a user may do there comes from the entity (``core.platform.entities.may``): a role that may open the
screen but write nothing sees the list, the details and the history only. Every save goes through the one write
path (``core.platform.records``); a refusal is shown in Chinese, keeps the input and writes nothing.

Its pages are derived from the registry (``core.navigation.entity_pages``): the target ``core.ui.admin:<entity>``
resolves here through the module's ``__getattr__``, by the one "module:function" lookup (``core.ui.screens``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import streamlit as st

from core import navigation
from core.platform import admin, audit, formats, importer, records, users
from core.platform.db import get_db
from core.platform.entities import Entity, may
from core.registry import all_entities
from core.ui.auditlog import audit_frame
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.listview import list_view
from core.ui.session import attempt, require
from core.ui.tables import display_frame
from core.ui.text import md
from schemas.base import field_specs


def _details(entity: Entity, row: dict) -> None:
    """Every field of the schema, labelled by it, in its order; an empty one as 「—」."""
    specs = field_specs(entity.schema)
    cols = st.columns(3)
    wide = [n for n, m in specs.items() if m["widget"] == "textarea"]
    for i, name in enumerate(n for n in specs if n not in wide):
        cols[i % 3].text(f"{specs[name]['label']}:{formats.text(row.get(name))}")  # st.text: never markup
    for name in wide:
        st.text(f"{specs[name]['label']}:{formats.text(row.get(name))}")


def _history(entity: Entity, key: Any) -> None:
    df, _ = audit.query(get_db(), table=entity.table, key=str(key), limit=100)
    accounts = users.list_users()
    log = audit_frame(df, drop=("table_name", "row_key"), people=dict(zip(accounts["username"], accounts["name"])))
    st.dataframe(display_frame(log), hide_index=True, width="stretch", placeholder="",
                 column_config={"修改内容": st.column_config.TextColumn(width="large")})


def _record(entity: Entity, who, key: Any) -> None:
    row = attempt(lambda: records.get(entity, key))
    if row is None:
        return
    st.divider()
    st.subheader(md(str(row.get(entity.title_field) or key)))  # above the tabs: the record, whichever tab is open
    editable = may(who, entity, "update", row)
    labels = ["详情"] + (["编辑"] if editable else []) + ["修改记录"]
    tabs = dict(zip(labels, st.tabs(labels, key="tab", bind="query-params")))  # ?tab=编辑: F5 keeps the tab
    with tabs["详情"]:
        _details(entity, row)
    if editable:
        with tabs["编辑"]:
            form = f"{entity.name}:edit"
            load(form, row, entity.schema, token=(key, str(row.get("updated_at"))))
            schema_form(entity.schema, form, lambda values: "已保存修改" if records.update(entity, key, values, who)
                        else "没有需要保存的修改", submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tabs["修改记录"]:
        _history(entity, key)


def _new(entity: Entity, who) -> None:
    st.caption("带 * 的为必填项。")

    def save(values: dict) -> str:
        key = records.create(entity, values, who)
        return f"已登记{entity.label}:{values.get(entity.title_field) or ''}(编号 {key})"

    schema_form(entity.schema, f"{entity.name}:new", save, submit_label="登记")


def render(entity: Entity) -> None:
    who = require(navigation.admin_key(entity.name))
    screen = entity.screen
    st.title(screen.title)
    spec = admin.import_spec(entity)
    creates = may(who, entity, "create")
    labels = ["列表"] + (["新建"] if creates else []) + (["导入"] if creates and spec is not None else [])
    tabs = dict(zip(labels, st.tabs(labels, key="view", bind="query-params") if len(labels) > 1 else [st.container()]))
    with tabs["列表"]:
        selected = list_view(admin.list_view(entity), entity.name, title=screen.title)  # also ?id=N
        if selected is None:
            st.caption("在表格中选择一行查看详情" + ("或编辑。" if may(who, entity, "update") else "。"))
        else:
            _record(entity, who, selected)
    if "新建" in tabs:
        with tabs["新建"]:
            _new(entity, who)
    if "导入" in tabs:
        with tabs["导入"]:
            import_panel(spec, f"{entity.name}:import", noun=entity.label, template_name=f"{entity.label}导入模板.xlsx",
                         commit=lambda plan: importer.commit(spec, plan, who))


@lru_cache(maxsize=None)
def _screen(name: str) -> Callable[[], None]:
    entity = next((e for e in all_entities() if e.name == name and e.screen is not None), None)
    if entity is None:
        raise AttributeError(f"no entity {name!r} with a screen in core.registry")

    def screen() -> None:
        render(entity)

    screen.__name__ = screen.__qualname__ = name
    return screen


def __getattr__(name: str) -> Callable[[], None]:
    """``core.ui.admin:<entity>``: the screen of the registered entity of that name (PEP 562)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _screen(name)
