"""金点子 idea pool: record, tag, mark duplicates, promote to an application (linked both ways)."""
from __future__ import annotations

import pandas as pd

from core.intake import applications, scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.listing import Column, Filter, ListView
from schemas.columns import columns
from schemas.idea import Idea

IDEA = register(Entity(
    name="idea", table="ideas", label="金点子", schema=Idea, write_roles=frozenset({"admin", "staff"}),
    title_field="title",
    hub_owned=True,  # each hub's idea pool (core.intake.scope): stamped, scoped, written by its own staff
))

STATUS_SQL = ("CASE WHEN application_id IS NOT NULL THEN '已转为申报' WHEN duplicate_of IS NOT NULL THEN '重复'"
              " ELSE '待处理' END")

# the idea pool's columns (``status`` is computed by STATUS_SQL; ``application_id`` is the promoted application)
IDEA_COLUMNS = columns("id", "title", "community", "category", "source", "tags", "status", "duplicate_of",
                       "application_id", "created_at", of=Idea,
                       computed={"application_id": "对应申报", "created_at": "登记时间"})
_SQL = {"tags": "array_to_string(tags, '、')", "status": STATUS_SQL}

LIST_VIEW = ListView(
    entity=IDEA,
    columns=tuple(Column(name, title, sql=_SQL.get(name)) for name, title in IDEA_COLUMNS.items()),
    search=("title", "description"),
    filters=(
        Filter("community", IDEA_COLUMNS["community"], "community", source="communities"),
        Filter("category", IDEA_COLUMNS["category"], "category", source="project_categories"),
        Filter("source", IDEA_COLUMNS["source"], "source", source="idea_sources"),
        Filter("status", IDEA_COLUMNS["status"], STATUS_SQL, options=("待处理", "重复", "已转为申报")),
    ),
    default_sort="id", default_desc=True, search_hint="标题或内容",
)


def get(idea_id: int, db=None, *, actor: Actor | None = None) -> dict:
    """The idea ``idea_id``; NotFound, as for a missing one, when it is another hub's (:mod:`core.intake.scope`)."""
    idea = records.get(IDEA, idea_id, db)
    keep = scope.hubs(actor)
    if keep is not None and idea.get("hub_id") not in keep:
        raise NotFound(f"{IDEA.label}(编号 {idea_id})不存在")
    return idea


def create(values: dict, actor: Actor, db=None) -> int:
    return records.create(IDEA, values, actor, db=db)


def update(idea_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(IDEA, idea_id, values, actor, db=db)


def mark_duplicate(idea_id: int, kept_id: int | None, actor: Actor, db=None) -> None:
    """Link an idea to the one kept (None clears the mark)."""
    db = db or get_db()
    idea = get(idea_id, db)
    if kept_id is not None:
        if kept_id == idea_id:
            raise ValidationFailed(fields={"duplicate_of": ["不能标记为与自身重复"]})
        kept = get(kept_id, db)
        if kept["duplicate_of"] is not None:
            raise ValidationFailed(fields={"duplicate_of": [f"编号 {kept_id} 本身已标记为重复,请链接到保留的那条"]})
        pointing = int(db.scalar("SELECT count(*) FROM ideas WHERE duplicate_of = ?", [idea_id]))
        if pointing:  # no chains: its own duplicates would then point at a duplicate
            raise ValidationFailed(fields={"duplicate_of": [
                f"已有 {pointing} 条金点子标记为与编号 {idea_id} 重复,请先把它们链接到保留的那条"]})
    if idea["application_id"] is not None:
        raise ValidationFailed(form=["已转为申报的金点子不能标记为重复"])
    records.update(IDEA, idea_id, {}, actor, db=db, system={"duplicate_of": kept_id}, action="mark_duplicate")


def promote(idea_id: int, org_id: int, round_id: int, actor: Actor, db=None) -> int:
    """Start an application draft from an idea for a registered organisation; link both ways."""
    db = db or get_db()
    idea = get(idea_id, db)
    if idea["application_id"] is not None:
        raise ValidationFailed(form=[f"该金点子已转为申报(编号 {idea['application_id']})"])
    if idea["duplicate_of"] is not None:
        raise ValidationFailed(form=[f"该金点子与编号 {idea['duplicate_of']} 重复,请转化保留的那条"])
    values = {"round_id": round_id, "org_id": org_id, "title": idea["title"], "category": idea["category"],
              "summary": idea["description"][:500], "communities": [idea["community"]]}
    return applications.save_draft(values, [], actor, idea_id=idea_id, db=db, link=lambda u, app_id: u.update(
        IDEA, idea_id, {}, system={"application_id": app_id}, action="promote"))


def application(idea: dict, db=None) -> dict | None:
    """The application an idea was promoted to (id, title, state), None when it has none or it is gone."""
    if idea.get("application_id") is None:
        return None
    db = db or get_db()
    return db.fetch_one("SELECT id, title, state FROM applications WHERE id = ?", [int(idea["application_id"])])


def for_application(app_id: int, db=None) -> dict | None:
    db = db or get_db()
    params: list = [app_id]
    mine = scope.hub_owned_in("hub_id", params)
    return db.fetch_one(f"SELECT id, title, source, community FROM ideas WHERE application_id = ? AND {mine}", params)


def duplicates_of(idea_id: int, db=None) -> pd.DataFrame:
    db = db or get_db()
    params: list = [idea_id]
    mine = scope.hub_owned_in("hub_id", params)
    return db.fetch_df(f"SELECT id, title, source, created_at FROM ideas WHERE duplicate_of = ? AND {mine} ORDER BY id",
                       params)


def options(db=None) -> list[tuple[int, str]]:
    db = db or get_db()
    params: list = []
    mine = scope.hub_owned_in("hub_id", params)
    return [(r["id"], f"{r['id']} · {r['title']}") for r in db.fetch_all(
        f"SELECT id, title FROM ideas WHERE {mine} ORDER BY id DESC", params)]
