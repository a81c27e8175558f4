"""社会组织台账: the organisation entity, its derived fields, list view and look-ups."""
from __future__ import annotations

import datetime as dt

from core.platform import admin, audit, records
from core.platform.actor import Actor, acting
from core.platform.db import get_db
from core.platform.entities import Entity, Unique, register
from core.platform.importer import ImportSpec
from core.platform.listing import Column, Filter, ListView
from core.platform.lookups import id_names
from schemas.columns import SYSTEM, columns
from schemas.organisation import Organisation

RATING_VALID_YEARS = 5


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb -> 28 Feb
        return d.replace(year=d.year + years, day=28)


def derive(record: dict) -> dict:
    rd = record.get("rating_date")
    record["rating_expiry"] = add_years(rd, RATING_VALID_YEARS) if rd else None
    return record


ORGANISATION = register(Entity(
    name="organisation", table="organisations", label="社会组织", schema=Organisation,
    write_roles=frozenset({"admin", "staff"}), title_field="name",
    unique=(
        Unique("uscc", "统一社会信用代码已被登记:「{title}」(编号 {key})"),
        Unique("name", "组织名称已被登记:「{title}」(编号 {key})"),
    ),
    derive=derive,
    hub_owned=True,  # each hub keeps its own register (core.orgs.hubs): stamped, scoped, written by its own staff
))

INCUBATION_STATUS_SQL = (
    "CASE WHEN incubation_in IS NULL THEN '未入壳' WHEN incubation_out IS NULL THEN '在孵' ELSE '已出壳' END"
)

ACTIVE_SQL = "CASE WHEN active THEN '在册' ELSE '已注销' END"

# the register's columns: the schema's labels, and the two columns the list computes
COLUMNS = columns("id", "name", "kind", "uscc", "filing_no", "reg_date", "legal_rep", "contact_person", "contact_phone",
                  "contact_email", "community", "service_domains", "stage", "incubation", "incubation_in", "incubation_out",
                  "rating", "rating_date", "rating_expiry", "brought_in_on", "active", "notes",
                  of=Organisation, computed={"incubation": "孵化状态", "active": SYSTEM["status"]})
_SQL = {"incubation": INCUBATION_STATUS_SQL, "active": ACTIVE_SQL}

LIST_VIEW = ListView(
    entity=ORGANISATION,
    columns=tuple(Column(n, label, sql=_SQL.get(n)) for n, label in COLUMNS.pick(
        "id", "name", "kind", "uscc", "filing_no", "community", "stage", "incubation", "rating", "rating_expiry",
        "brought_in_on", "contact_person", "contact_phone", "active").items()),
    search=("name", "uscc", "filing_no"),
    filters=(
        Filter("community", COLUMNS["community"], "community", source="communities"),
        Filter("kind", COLUMNS["kind"], "kind", source="org_kinds"),
        Filter("stage", COLUMNS["stage"], "stage", source="stages"),
        Filter("rating", COLUMNS["rating"], "coalesce(rating, '未评级')", options=("未评级", "1A", "2A", "3A", "4A", "5A")),
        Filter("incubation", COLUMNS["incubation"], INCUBATION_STATUS_SQL, options=("未入壳", "在孵", "已出壳")),
        Filter("active", COLUMNS["active"], ACTIVE_SQL, options=("在册", "已注销")),
    ),
    default_sort="id",
    search_hint="名称、统一社会信用代码或备案编号",
)

# the detail view: these fields, in this order, an empty one shown as 「—」
DETAIL_COLUMNS = COLUMNS.pick("kind", "uscc", "filing_no", "reg_date", "legal_rep", "contact_person", "contact_phone",
                              "contact_email", "community", "service_domains", "stage", "incubation_in", "incubation_out",
                              "rating", "rating_date", "rating_expiry", "active")


def describe(org: dict) -> dict[str, str]:
    """label -> the text a person reads, for the detail view of ``org`` (notes apart)."""
    shown = {
        **{n: "—" if org.get(n) in (None, "") else str(org[n]) for n in DETAIL_COLUMNS},
        "service_domains": "、".join(org.get("service_domains") or []) or "—",
        "rating": org.get("rating") or "未评级",
        "active": "在册" if org.get("active") else "已注销",
    }
    return {DETAIL_COLUMNS[n]: shown[n] for n in DETAIL_COLUMNS}


def _in_hubs(hubs: tuple[int, ...] | None, params: list) -> str:
    """The SQL condition keeping the organisations of ``hubs`` (None: every hub; empty: none), its values added
    to ``params``."""
    if hubs is None:
        return "true"
    params += [int(h) for h in hubs]
    return f"hub_id IN ({', '.join('?' for _ in hubs)})" if hubs else "false"


def _scope(actor: Actor | None) -> tuple[int, ...] | None:
    """The hubs whose organisations ``actor`` reads (None: every hub, for the system or no actor given)."""
    return None if actor is None else actor.hubs


def get(org_id: int, db=None, *, actor: Actor | None = None) -> dict | None:
    """The organisation ``org_id``; with ``actor``, None unless it belongs to one of the actor's hubs (a street's
    staff never open another street's record, by URL either)."""
    db = db or get_db()
    params: list = [org_id]
    where = _in_hubs(_scope(actor), params)
    return db.fetch_one(f"SELECT * FROM organisations WHERE id = ? AND {where}", params)


def options(active_only: bool = True, db=None, *, actor: Actor | None = None) -> list[tuple[int, str]]:
    """(id, name) pairs for pickers: the organisations of ``actor``'s hubs (by default the user of the screen being
    drawn, ``core.platform.actor.acting``; every organisation outside a screen)."""
    db = db or get_db()
    params: list = []
    where = _in_hubs(_scope(actor if actor is not None else acting()), params)
    if active_only:
        where += " AND active"
    return [(r["id"], r["name"]) for r in
            db.fetch_all(f"SELECT id, name FROM organisations WHERE {where} ORDER BY name", params)]


def find_existing(records: list[dict], db=None) -> dict[int, dict]:
    """For import: position -> the stored organisation with the same USCC or, failing that, the same name
    (the entity's unique fields, in their declared order)."""
    return admin.find_existing(ORGANISATION, records, db)


def _import_spec():
    return ImportSpec(
        entity=ORGANISATION,
        fields=("name", "kind", "uscc", "filing_no", "reg_date", "legal_rep", "contact_person", "contact_phone",
                "community", "service_domains", "stage", "incubation_in", "incubation_out", "rating",
                "rating_date", "active", "notes", "brought_in_on", "contact_email"),  # columns added later go last
        find_existing=find_existing,
        example={"name": "下沙街道示例社区志愿服务队", "kind": "社区社会组织(备案)", "filing_no": "下沙备字〔2024〕第001号",
                 "reg_date": dt.date(2024, 3, 1), "contact_person": "王芳", "contact_phone": "13857100000",
                 "community": "文海社区", "service_domains": "志愿服务、一老一小", "stage": "初创期", "active": "是"},
    )


IMPORT_SPEC = _import_spec()


def create(values: dict, actor) -> int:
    return records.create(ORGANISATION, values, actor)


def update(org_id: int, values: dict, actor) -> bool:
    return records.update(ORGANISATION, org_id, values, actor)


def history(org_id: int, db=None):
    """The organisation's audit trail, newest first."""
    df, _ = audit.query(db or get_db(), table="organisations", key=str(org_id), limit=100)
    return df


def install_providers() -> None:
    """``orgs``: every organisation id, shown by name (a deregistered one is marked); a form's picker, and the check
    of what it submits, offer only the organisations of the signed-in user's hubs."""
    id_names("orgs", ("organisations",), "SELECT id, name, active, hub_id FROM organisations ORDER BY name",
             lambda r: r["name"] + ("" if r["active"] else "(已注销)"), hub_column="hub_id")
