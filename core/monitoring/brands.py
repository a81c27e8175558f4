"""品牌矩阵: core brands (核心品牌, e.g. 1516便民服务 with service points in every community) and niche
brands (特色品牌); projects are tagged with a brand (``projects.brand_id``).

A brand is a hub's own (``brands.hub_id``, migration 032): its readers are the hub's and those above it (a district
sees its streets' brands), its service points read their hub through it, and the brand choice list offers the
signed-in user's hubs' brands."""
from __future__ import annotations

import pandas as pd

from core.intake import scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.lookups import id_names
from schemas.columns import columns
from schemas.monitoring import Activity, Brand, ServicePoint

STAFF = frozenset({"admin", "staff"})

BRAND = register(Entity(
    name="brand", table="brands", label="品牌", schema=Brand, write_roles=STAFF, title_field="name",
    unique=(Unique("name", "已有同名品牌(编号 {key}),请换一个名称"),),
    hub_owned=True,  # each hub's own brands: stamped, scoped, written by its own staff
))
HUB_OF_BRAND = "SELECT hub_id FROM brands WHERE id = ?"
SERVICE_POINT = register(Entity(
    name="service_point", table="service_points", label="服务点", schema=ServicePoint, write_roles=STAFF,
    title_field="name", hub_via=("brand_id", HUB_OF_BRAND),  # a point is its brand's hub's
))


def create(values: dict, actor: Actor, db=None) -> int:
    return records.create(BRAND, values, actor, db=db)


def update(brand_id: int, values: dict, actor: Actor, db=None) -> bool:
    return records.update(BRAND, brand_id, values, actor, db=db)


def add_point(values: dict, actor: Actor, db=None) -> int:
    return records.create(SERVICE_POINT, values, actor, db=db)


# the columns of :func:`overview` (a brand's fields as its form declares them; the counts here) and of :func:`points`
OVERVIEW_COLUMNS = columns("id", "name", "tier", "description", "points", "communities", "projects", "activities",
                           "person_times", of=(Brand, Activity),
                           computed={"points": "服务点", "communities": "覆盖社区", "projects": "项目数",
                                     "activities": "活动场次"})
POINT_COLUMNS = columns("id", "community", "name", "address", of=ServicePoint)


def overview(db=None) -> pd.DataFrame:
    """One row per brand of the reader's hubs (:func:`core.intake.scope.hubs`): id, name, tier, description, points,
    communities (with a service point), projects, activities, person_times."""
    db = db or get_db()
    params: list = []
    mine = scope.hub_owned_in("b.hub_id", params)
    return db.fetch_df(
        "SELECT b.id, b.name, b.tier, b.description,"
        " (SELECT count(*) FROM service_points s WHERE s.brand_id = b.id) AS points,"
        " (SELECT count(DISTINCT s.community) FROM service_points s WHERE s.brand_id = b.id) AS communities,"
        " (SELECT count(*) FROM projects p WHERE p.brand_id = b.id) AS projects,"
        " (SELECT count(*) FROM activities x JOIN projects p ON p.id = x.project_id WHERE p.brand_id = b.id)"
        "  AS activities,"
        " (SELECT coalesce(sum(x.person_times), 0) FROM activities x JOIN projects p ON p.id = x.project_id"
        "  WHERE p.brand_id = b.id) AS person_times"
        f" FROM brands b WHERE {mine} ORDER BY CASE b.tier WHEN '核心品牌' THEN 0 ELSE 1 END, b.id", params)


def points(brand_id: int, db=None) -> pd.DataFrame:
    """The service points of a brand of the reader's hubs (another hub's brand: none)."""
    db = db or get_db()
    params: list = [brand_id]
    mine = scope.hub_owned_in("hub_id", params)
    return db.fetch_df("SELECT id, community, name, address FROM service_points WHERE brand_id = ?"
                       f" AND brand_id IN (SELECT id FROM brands WHERE {mine}) ORDER BY community, name", params)


def install_providers() -> None:
    """``brands``: brand ids shown by name; ``brand_names``: the names (list filters)."""
    id_names("brands", ("brands",), "SELECT id, name, hub_id FROM brands ORDER BY id", hub_column="hub_id")
    id_names("brand_names", ("brands",), "SELECT name, hub_id FROM brands ORDER BY id", key="name", hub_column="hub_id")
