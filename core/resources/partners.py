"""合作伙伴 (partners), their contributions and 企业公益认领.

- A **partner** (企业, 基金会, 高校, 媒体, 政府部门, 爱心人士 …) says what it offers and whether it works with the hub
  under an agreement (协议合作). Kept by staff and admins on its generic screen; leaders read it.
- A **contribution** is what a partner gave: money (yuan) or goods, a venue, skilled volunteers, media exposure
  (a description and an estimated value), optionally for a project and a community need.
- **企业公益认领**: staff publish a claimable item (from a 金点子, a funded project's funding gap or a community need);
  a partner claims it (staff record who and what was pledged); completing the claim records the contribution in
  the same transaction — money for a project is added to that project's 配套资金 (``projects.funds_enterprise`` for
  an enterprise, ``funds_donation`` for a foundation, a university, media or a caring individual; a government
  department's money is no 配套资金 and is recorded as a contribution only). Item states::

      open 开放认领 --claim--> claimed 已认领 --complete--> done 已完成
      open | claimed --withdraw--> withdrawn 已撤回

- A recorded contribution is corrected through :func:`update_contribution` (audited, the schema's rules): one that
  came from a claim keeps the partner, kind and project the claim decided, and a corrected amount moves the
  project's 配套资金 by the difference in the same transaction. Contributions are imported from Excel
  (:func:`contribution_import_spec`) as records only, a sheet imported again adds nothing.
- **Hubs** (issue 20, migration 029): a partner belongs to the hub that registers it and is shared down the tree
  (``Entity.hub_shared``): one registered by a district (钱塘区) or the city is seen by every hub below it, in its
  lists, its pickers and by id, while only its own hub edits it; a street's own partner is that street's alone. A
  contribution belongs to the hub that records it, a claimable item (企业公益认领) to the hub of the record it is
  published for (the funded project, the 金点子, the community need): only that hub's staff publish and close it,
  and only a partner that hub sees may claim it. The figures below count the reader's hubs' contributions.
- **Continuity**: per partner 协议合作 (an agreement), 多次合作 (contributions in two or more different years),
  单次合作 (contributions in one year only); per year the contributions by kind and by partner kind and the share of
  money that is not government money (SQL aggregates, cached until a table they read is written).
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from core.monitoring import projects
from core.platform import audit, cache, records
from core.intake import scope
from core.orgs import hubs
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import SHARED_HUBS_SQL, Entity, Screen, Unique, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.importer import ImportSpec
from core.platform.listing import Column, Filter, ListView
from core.platform.lookups import id_names
from core.platform.validation import plain, validate
from schemas import choices
from schemas.columns import columns, label, money, number, ratio
from schemas.partner import (
    CLAIM_SOURCES, CLAIM_STATUS, CONTINUITY, ENTERPRISE, GOVERNMENT, MONEY, OFFERS, PARTNER_KINDS, Claim, ClaimItem,
    Completion, Contribution, Partner,
)

STAFF = frozenset({"admin", "staff"})

PARTNER = register(Entity(
    name="partner", table="partners", label="合作伙伴", schema=Partner, write_roles=STAFF,
    unique=(Unique("name"),), hub_owned=True, hub_shared=True,  # a district's or the city's: seen by the hubs below
    screen=Screen("合作伙伴", "partners", "资源与需求", icon=":material/handshake:",
                  columns=("id", "name", "kind", "department", "offers", "contact_person", "contact_phone",
                           "agreement"),
                  filters=("kind", "offers", "agreement"), search=("name", "contact_person", "notes"),
                  example={"name": "杭州示例科技有限公司", "kind": "企业", "offers": ["资金", "技能志愿者"],
                           "contact_person": "王敏", "contact_phone": "13857100001"}),
))
CONTRIBUTION = register(Entity(
    name="partner_contribution", table="partner_contributions", label="伙伴贡献", schema=Contribution,
    write_roles=STAFF, title_field="kind", columns=("need_id", "claim_id"), hub_owned=True,
))
CLAIM_ITEM = register(Entity(
    name="claim_item", table="claim_items", label="认领项目", schema=ClaimItem, write_roles=STAFF,
    title_field="title", also=(Claim,), hub_owned=True,  # the hub of the record it is published for
    columns=("status", "partner_id", "claimed_on", "pledged_amount", "pledge_note", "completed_on",
             "contribution_id", "status_note"),
))

TABLES = ("partners", "partner_contributions")


# ---- choice lists --------------------------------------------------------------------------------------------
def install_providers() -> None:
    """``partners`` (id -> name) and ``claim_ideas`` (every 金点子, 「编号 标题」)."""
    id_names("partners", ("partners",), "SELECT id, name, hub_id FROM partners ORDER BY name", hub_column="hub_id",
             shared=True)
    id_names("claim_ideas", ("ideas",), "SELECT id, title, hub_id FROM ideas ORDER BY id DESC",
             lambda r: f"{r['id']} {r['title']}", hub_column="hub_id")


# ---- lists ---------------------------------------------------------------------------------------------------
_PARTNER_NAME = "(SELECT p.name FROM partners p WHERE p.id = {t}.partner_id)"
_PARTNER_KIND = "(SELECT p.kind FROM partners p WHERE p.id = {t}.partner_id)"
_PROJECT = ("(SELECT pr.agreement_no || ' ' || a.title FROM projects pr JOIN applications a"
            " ON a.id = pr.application_id WHERE pr.id = {t}.project_id)")
STATUS_SQL = "CASE status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CLAIM_STATUS.items()) + " END"

CONTRIBUTION_COLUMNS = columns(
    "id", "contributed_on", "partner", "partner_kind", "kind", "amount", "description", "estimated_value", "project",
    "claim_id", of=(Contribution, Partner),
    computed={"partner": label("partner_id", of=Contribution), "partner_kind": label("kind", of=Partner),
              "project": label("project_id", of=Contribution), "claim_id": "来自认领项目"})
CONTRIBUTIONS_VIEW = ListView(
    entity=CONTRIBUTION,
    columns=tuple(Column(n, label, sql={"partner": _PARTNER_NAME, "partner_kind": _PARTNER_KIND,
                                        "project": _PROJECT}.get(n, "").format(t="partner_contributions") or None)
                  for n, label in CONTRIBUTION_COLUMNS.items()),
    search=(_PARTNER_NAME.format(t="partner_contributions"), "description", "notes"),
    filters=(Filter("kind", CONTRIBUTION_COLUMNS["kind"], "kind", options=tuple(OFFERS)),
             Filter("partner_kind", CONTRIBUTION_COLUMNS["partner_kind"],
                    _PARTNER_KIND.format(t="partner_contributions"), options=tuple(PARTNER_KINDS)),
             Filter("year", "年度", "CAST(year(contributed_on) AS VARCHAR)",
                    options=tuple(str(y) for y in range(dt.date.today().year, 2018, -1)))),
    default_sort="contributed_on", default_desc=True, search_hint="伙伴名称、贡献内容或备注",
)

PARTNER_COLUMNS = columns("id", "name", "kind", "department", "offers", "contact_person", "agreement", of=Partner)
PARTNERS_VIEW = ListView(  # the partners as leaders read them (伙伴合作概况); staff keep them on the generic screen
    entity=PARTNER,
    columns=tuple(Column(n, label, sql={"offers": "array_to_string(offers, '、')",
                                        "agreement": "CASE WHEN agreement THEN '是' ELSE '否' END"}.get(n))
                  for n, label in PARTNER_COLUMNS.items()),
    search=("name", "contact_person"),
    filters=(Filter("kind", PARTNER_COLUMNS["kind"], "kind", options=tuple(PARTNER_KINDS)),
             Filter("offers", PARTNER_COLUMNS["offers"], "offers", options=tuple(OFFERS), contains=True)),
    default_sort="id", search_hint="伙伴名称或联系人",
)

CLAIM_COLUMNS = columns(
    "id", "title", "status_label", "kind", "amount_sought", "partner", "pledged_amount", "source", "project",
    "published_on", "claimed_on", "completed_on", of=(ClaimItem, Claim, Completion),
    computed={"project": label("project_id", of=ClaimItem), "status_label": "认领状态",
              "partner": label("partner_id", of=Claim)})
CLAIMS_VIEW = ListView(
    entity=CLAIM_ITEM,
    columns=tuple(Column(n, label, sql={"partner": _PARTNER_NAME, "project": _PROJECT}.get(n, "").format(
        t="claim_items") or {"status_label": STATUS_SQL}.get(n)) for n, label in CLAIM_COLUMNS.items()),
    search=("title", "needed", _PARTNER_NAME.format(t="claim_items")),
    filters=(Filter("status", CLAIM_COLUMNS["status_label"], STATUS_SQL, options=tuple(CLAIM_STATUS.values())),
             Filter("source", CLAIM_COLUMNS["source"], "source", options=tuple(CLAIM_SOURCES)),
             Filter("kind", CLAIM_COLUMNS["kind"], "kind", options=tuple(OFFERS))),
    default_sort="id", default_desc=True, search_hint="认领项目名称、需求说明或认领伙伴",
)


# ---- partners and contributions --------------------------------------------------------------------------------
def get_partner(partner_id: int, db=None) -> dict:
    return records.get(PARTNER, partner_id, db)


def create_partner(values: dict, actor: Actor, db=None) -> int:
    return records.create(PARTNER, values, actor, db=db)


def add_contribution(values: dict, actor: Actor, db=None) -> int:
    """A contribution recorded directly (a donation, goods given): a record only — money that comes through a
    claim is added to its project by :func:`complete`."""
    return records.create(CONTRIBUTION, values, actor, db=db)


def contributions_of(partner_id: int, db=None) -> pd.DataFrame:
    return (db or get_db()).fetch_df(
        "SELECT id, contributed_on, kind, amount, description, estimated_value FROM partner_contributions"
        " WHERE partner_id = ? ORDER BY contributed_on DESC, id DESC", [partner_id])


def get_contribution(contribution_id: int, db=None) -> dict:
    return records.get(CONTRIBUTION, int(contribution_id), db)


def _funds_column(partner: dict, kind: str, project_id) -> str | None:
    """The project's 配套资金 column money of ``partner`` goes into through a claim (None: no 配套资金)."""
    if kind != MONEY or project_id is None or partner["kind"] == GOVERNMENT:
        return None
    return "funds_enterprise" if partner["kind"] == ENTERPRISE else "funds_donation"


CLAIM_FIXED = ("partner_id", "kind", "project_id")  # a claimed contribution's: decided by its claim item


def update_contribution(contribution_id: int, values: dict, actor: Actor, db=None) -> bool:
    """Correct a recorded contribution, audited; False when nothing changed.

    A contribution that came from a completed claim (``claim_id``) keeps the partner, kind and project its claim
    item decided (refused in Chinese). Its amount may be corrected: when the claim's money went into the project's
    配套资金 (:func:`complete`), the project's column follows by the difference in the same transaction, with a
    timeline event, so the agreement's 配套资金 and the contributions never disagree."""
    db = db or get_db()
    key = int(contribution_id)
    current = get_contribution(key, db)
    merged = {n: values.get(n, current.get(n)) for n in Contribution.to_schema().columns}
    record = records.clean(CONTRIBUTION, merged)
    claim_id = current.get("claim_id")
    if claim_id is not None:
        fixed = [n for n in CLAIM_FIXED if n in values and plain(record[n]) != plain(current[n])]
        if fixed:
            item = db.fetch_one("SELECT title FROM claim_items WHERE id = ?", [claim_id]) or {"title": claim_id}
            says = (f"该贡献来自企业公益认领「{item['title']}」(认领项目编号 {claim_id}):合作伙伴、贡献类型和受益项目"
                    "由认领项目决定,不能修改;如金额有误,可只修改捐赠金额(项目的配套资金随之调整)")
            raise ValidationFailed(fields={n: [says] for n in fixed})
    with records.unit(actor, db) as u:
        latest = u.fetch(CONTRIBUTION, key)
        changed = u.update(CONTRIBUTION, key, {k: record[k] for k in values if k in record}, validated=True)
        if not changed or claim_id is None:
            return changed
        partner = u.fetch(PARTNER, int(latest["partner_id"]))
        column = _funds_column(partner, latest["kind"], latest["project_id"])
        old, new = float(latest["amount"] or 0), float(record.get("amount") or 0)
        if column is None or abs(new - old) < 0.005:
            return changed
        pid = int(latest["project_id"])
        current_funds = float(u.tx.fetch_one(f"SELECT coalesce({column}, 0) AS v FROM projects WHERE id = ?",
                                             [pid])["v"])
        if current_funds + new - old < 0:
            raise ValidationFailed(fields={"amount": [
                f"项目的{FUNDS_LABEL[column]}现为 {current_funds:,.2f} 元,减去 {old - new:,.2f} 元后将为负数:"
                "请核对捐赠金额"]})
        title = db.fetch_one("SELECT title FROM claim_items WHERE id = ?", [claim_id])["title"]
        u.update(projects.PROJECT, pid, {}, system={column: current_funds + new - old}, validated=True,
                 action="partner_funds", note=f"{partner['name']} 认领「{title}」到位金额更正")
        projects.add_event_in(u, pid, "企业公益认领资金更正",
                              f"{partner['name']} 认领「{title}」的到位金额由 {old:,.2f} 元更正为 {new:,.2f} 元,"
                              f"{FUNDS_LABEL[column]}随之调整", dt.date.today())
        return changed


def contribution_history(contribution_id: int, db=None) -> pd.DataFrame:
    """The contribution's audit trail (修改记录), newest first."""
    df, _ = audit.query(db or get_db(), table=CONTRIBUTION.table, key=str(int(contribution_id)), limit=100)
    return df


CONTRIBUTION_IMPORT_EXAMPLE = {"partner_id": "杭州示例科技有限公司", "contributed_on": dt.date(2026, 3, 1), "kind": "物资",
                               "description": "儿童图书 200 册", "estimated_value": 6000.0}
_SAME = ("partner_id", "contributed_on", "kind", "amount", "description")  # one contribution, as a sheet names it


def _same(r: dict) -> tuple:
    return tuple(plain(r.get(n)) for n in _SAME)


def _stored_contributions(rows: list[dict], db=None) -> dict[int, dict]:
    """Positions of sheet rows already recorded: the same partner, date, kind, amount and content (one query)."""
    partners_ = sorted({int(r["partner_id"]) for r in rows if r.get("partner_id") is not None})
    if not partners_:
        return {}
    found = {}
    for row in (db or get_db()).fetch_all(
            "SELECT id, partner_id, contributed_on, kind, CAST(amount AS DOUBLE) AS amount, description"
            " FROM partner_contributions WHERE partner_id IN (SELECT unnest(?))", [partners_]):
        found.setdefault(_same(row), row)
    out = {}
    for i, r in enumerate(rows):
        hit = found.get(_same({**r, "amount": None if r.get("amount") is None else float(r["amount"])}))
        if r.get("partner_id") is not None and hit is not None:
            out[i] = {"id": hit["id"], "kind": f"{hit['contributed_on']} {hit['kind']}"}
    return out


def contribution_import_spec() -> ImportSpec:
    """The contributions sheet (a year's donations and goods kept elsewhere): every field; the partner by its name.
    Imported contributions are records only, as :func:`add_contribution` (money reaches a project's 配套资金 through
    a claim); a row equal to a recorded one (partner, date, kind, amount, content) is 已存在, so a sheet imported
    again adds nothing; while a row is in error nothing of the sheet is written (its good rows wait, 待改正)."""
    return ImportSpec(entity=CONTRIBUTION, fields=tuple(Contribution.to_schema().columns),
                      example=CONTRIBUTION_IMPORT_EXAMPLE, find_existing=_stored_contributions, row_key=_same,
                      whole_file=True)


# ---- 企业公益认领 ------------------------------------------------------------------------------------------------
def need_exists(need_id: int, db=None) -> bool:
    """Does the community need (``community_needs``, 需求登记) exist? False while that register is not installed."""
    try:
        return (db or get_db()).scalar("SELECT count(*) FROM community_needs WHERE id = ?", [int(need_id)]) > 0
    except duckdb.CatalogException:
        return False


def funding_gap(project_id: int, db=None) -> float:
    """What a funded project asked for and was not granted (申请资助金额 − 资助金额), less the 配套资金 it already
    has from enterprises and donations; never below 0."""
    row = (db or get_db()).fetch_one(
        "SELECT a.requested_amount - p.granted_amount - coalesce(p.funds_enterprise, 0)"
        " - coalesce(p.funds_donation, 0) AS gap FROM projects p JOIN applications a ON a.id = p.application_id"
        " WHERE p.id = ?", [project_id])
    if row is None:
        raise NotFound(f"立项项目(编号 {project_id})不存在")
    return max(float(row["gap"] or 0), 0.0)


def get_item(item_id: int, db=None) -> dict:
    return records.get(CLAIM_ITEM, item_id, db)


def _check_need(record: dict, db) -> None:
    if record.get("need_id") is not None and not need_exists(record["need_id"], db):
        raise ValidationFailed(fields={"need_id": [
            f"社区需求编号 {record['need_id']} 不存在,请在「社区需求」中核对编号后再填写"]})


def _claimed_hub(record: dict, db) -> int | None:
    """The hub of the record an item is published for (its project's round's, its 金点子's, its need's); None: none."""
    for column, sql in (("project_id", scope.HUB_OF_PROJECT), ("idea_id", "SELECT hub_id FROM ideas WHERE id = ?"),
                        ("need_id", "SELECT hub_id FROM community_needs WHERE id = ?")):
        if record.get(column) is not None:
            row = db.fetch_one(sql, [int(record[column])])
            if row is not None and row["hub_id"] is not None:
                return int(row["hub_id"])
    return None


def publish(values: dict, actor: Actor, db=None) -> int:
    """Publish a claimable item (开放认领); it belongs to the hub of the record it is published for (the write path
    refuses another hub's record), else to the publisher's."""
    db = db or get_db()
    record = records.clean(CLAIM_ITEM, values)
    _check_need(record, db)
    hub = _claimed_hub(record, db)
    with records.unit(actor, db) as u:
        return u.create(CLAIM_ITEM, record, system={"status": "open", **({"hub_id": hub} if hub is not None else {})},
                        validated=True)


def _partner_of_hub(partner_id: int, item: dict, db) -> None:
    """A partner may claim an item of a hub that sees it: registered by that hub or by a hub above it."""
    partner = db.fetch_one("SELECT name, hub_id FROM partners WHERE id = ?", [int(partner_id)])
    if partner is None:
        raise ValidationFailed(fields={"partner_id": [f"合作伙伴(编号 {partner_id})不存在,请从列表中选择"]})
    if (partner["hub_id"] or 1) not in hubs.ancestors(int(item.get("hub_id") or 1), db):
        raise ValidationFailed(fields={"partner_id": [
            f"合作伙伴「{partner['name']}」不是本枢纽或上级枢纽(区、市)登记的伙伴,不能认领本枢纽的认领项目:"
            "请选择列表中的合作伙伴"]})


def _state(item: dict, *allowed: str, doing: str) -> None:
    if item["status"] not in allowed:
        raise ValidationFailed(form=[
            f"认领项目「{item['title']}」当前为{CLAIM_STATUS[item['status']]},不能{doing}"
            f"(只有{'或'.join(CLAIM_STATUS[s] for s in allowed)}的认领项目可以{doing})"])


def claim(item_id: int, values: dict, actor: Actor, db=None) -> None:
    """A partner claims an open item: who, when, what was pledged (money: the amount sought unless given)."""
    db = db or get_db()
    item = get_item(item_id, db)
    _state(item, "open", doing="认领")
    record = validate(Claim, values)
    _partner_of_hub(record["partner_id"], item, db)
    if item["kind"] == MONEY and record.get("pledged_amount") is None:
        record["pledged_amount"] = float(item["amount_sought"])
    if item["kind"] != MONEY and not record.get("pledge_note"):
        raise ValidationFailed(fields={"pledge_note": ["请填写认领内容(承诺提供的物资、场地或志愿者等)"]})
    claimed_on = pd.Timestamp(record["claimed_on"]).date()
    if claimed_on < pd.Timestamp(item["published_on"]).date():
        raise ValidationFailed(fields={"claimed_on": [
            f"认领日期 {claimed_on.isoformat()} 早于发布日期 {pd.Timestamp(item['published_on']).date().isoformat()},"
            "请核对认领日期"]})
    with records.unit(actor, db) as u:
        u.update(CLAIM_ITEM, item_id, {}, system={**record, "status": "claimed"}, validated=True, action="claim")


def _plan(item: dict, values: dict, db) -> dict:
    """What completing ``item`` with ``values`` will write (ValidationFailed as :func:`complete` would)."""
    _state(item, "claimed", doing="登记到位")
    record = validate(Completion, values)
    done_on = pd.Timestamp(record["completed_on"]).date()
    if done_on < pd.Timestamp(item["claimed_on"]).date():
        raise ValidationFailed(fields={"completed_on": [
            f"到位日期 {done_on.isoformat()} 早于认领日期 {pd.Timestamp(item['claimed_on']).date().isoformat()},"
            "请核对到位日期"]})
    partner = get_partner(int(item["partner_id"]), db)
    is_money = item["kind"] == MONEY
    amount = record.get("received_amount") or (float(item["pledged_amount"]) if is_money else None)
    note = record.get("received_note") or item.get("pledge_note")
    if not is_money and not note:
        raise ValidationFailed(fields={"received_note": ["请填写到位内容(实际提供的物资、场地或志愿者等)"]})
    contribution = validate(Contribution, {
        "partner_id": int(item["partner_id"]), "contributed_on": done_on, "kind": item["kind"],
        "amount": float(amount) if is_money else None,
        "description": note or f"企业公益认领:{item['title']}", "estimated_value": record.get("estimated_value"),
        "project_id": item["project_id"], "notes": f"企业公益认领(认领项目编号 {item['id']})"})
    column = None
    if is_money and item["project_id"] is not None and partner["kind"] != GOVERNMENT:
        column = "funds_enterprise" if partner["kind"] == ENTERPRISE else "funds_donation"
    project = projects.get(int(item["project_id"]), db) if item["project_id"] is not None else None
    return {"contribution": contribution, "column": column, "amount": amount, "partner": partner,
            "done_on": done_on, "project": project}


FUNDS_LABEL = {"funds_enterprise": "配套资金:企业", "funds_donation": "配套资金:基金会与捐赠"}


def preview_completion(item_id: int, values: dict, db=None) -> str:
    """What :func:`complete` will do, in one Chinese sentence (for the confirmation); refuses as it would."""
    db = db or get_db()
    item = get_item(item_id, db)
    plan = _plan(item, values, db)
    what = (f"{float(plan['amount']):,.2f} 元" if plan["amount"] is not None
            else (plan["contribution"].get("description") or item["kind"]))
    text = f"登记 {plan['partner']['name']} 为「{item['title']}」的贡献:{what},认领项目改为已完成"
    if plan["column"] is not None:
        p = plan["project"]
        text += f";项目 {p['agreement_no']}「{p['title']}」的{FUNDS_LABEL[plan['column']]}增加 {float(plan['amount']):,.2f} 元"
    return text


def complete(item_id: int, values: dict, actor: Actor, db=None) -> int:
    """The claim is fulfilled: record the contribution, close the item and — for money with a project — add the
    money to the project's 配套资金 with a timeline event; one transaction. Returns the contribution's id."""
    db = db or get_db()
    item = get_item(item_id, db)
    plan = _plan(item, values, db)
    partner, amount, done_on, column = plan["partner"], plan["amount"], plan["done_on"], plan["column"]
    with records.unit(actor, db) as u:
        latest = u.fetch(CLAIM_ITEM, item_id)
        if latest["status"] != "claimed":  # completed meanwhile (another session)
            _state(latest, "claimed", doing="登记到位")
        cid = u.create(CONTRIBUTION, plan["contribution"], system={"need_id": item["need_id"], "claim_id": item_id,
                                                                  "hub_id": item.get("hub_id")},
                       validated=True, note=f"认领项目「{item['title']}」到位")
        u.update(CLAIM_ITEM, item_id, {}, system={"status": "done", "completed_on": done_on, "contribution_id": cid},
                 validated=True, action="complete")
        if column is not None:
            pid = int(item["project_id"])
            current = u.tx.fetch_one(f"SELECT coalesce({column}, 0) AS v FROM projects WHERE id = ?", [pid])["v"]
            u.update(projects.PROJECT, pid, {}, system={column: float(current) + float(amount)}, validated=True,
                     action="partner_funds", note=f"{partner['name']} 认领「{item['title']}」")
            projects.add_event_in(u, pid, "企业公益认领资金到位",
                                  f"{partner['name']} 认领「{item['title']}」,到位 {float(amount):,.2f} 元,"
                                  f"计入{FUNDS_LABEL[column]}", done_on)
    return cid


def withdraw(item_id: int, reason: str, actor: Actor, db=None) -> None:
    """Withdraw an open or claimed item (撤回), with the reason."""
    db = db or get_db()
    item = get_item(item_id, db)
    _state(item, "open", "claimed", doing="撤回")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(fields={"status_note": ["请填写撤回原因(至少 2 个字)"]})
    with records.unit(actor, db) as u:
        u.update(CLAIM_ITEM, item_id, {}, system={"status": "withdrawn", "status_note": reason[:500]},
                 validated=True, action="withdraw")


# ---- continuity and the yearly figures (SQL aggregates, cached) ------------------------------------------------
CONTINUITY_COLUMNS = columns(
    "name", "kind", "continuity", "contributions", "years", "first_year", "last_year", "money", "value",
    of=Partner,
    computed={"continuity": "合作持续性", "contributions": number("贡献次数"), "years": number("贡献年数"),
              "first_year": "首次贡献年度", "last_year": "最近贡献年度", "money": money("资金合计(元)"),
              "value": money("折合价值合计(元)")})
_CONTINUITY_SQL = f"""
SELECT p.name, p.kind,
       CASE WHEN p.agreement THEN '{CONTINUITY["agreement"]}'
            WHEN count(DISTINCT year(c.contributed_on)) >= 2 THEN '{CONTINUITY["repeated"]}'
            WHEN count(c.id) >= 1 THEN '{CONTINUITY["once"]}' ELSE '{CONTINUITY["none"]}' END AS continuity,
       count(c.id) AS contributions, count(DISTINCT year(c.contributed_on)) AS years,
       CAST(min(year(c.contributed_on)) AS VARCHAR) AS first_year,
       CAST(max(year(c.contributed_on)) AS VARCHAR) AS last_year,
       coalesce(sum(c.amount), 0)::DOUBLE AS money, coalesce(sum(c.estimated_value), 0)::DOUBLE AS value
FROM partners p LEFT JOIN partner_contributions c ON c.partner_id = p.id /*C*/
WHERE true /*P*/
GROUP BY p.id, p.name, p.kind, p.agreement ORDER BY money DESC, contributions DESC, p.name"""


def _kept(actor: Actor | None) -> tuple[int, ...] | None:
    """The hubs whose contributions a reader's figures count (``actor``'s, else the screen's user's; None: every)."""
    return scope.hubs(actor)


def _scoped(sql: str, keep: tuple[int, ...] | None) -> tuple[str, list]:
    """``sql`` with its markers filled: ``/*C*/`` the contributions ``c`` of the hubs ``keep``; ``/*P*/`` the partners
    those hubs see (theirs and those of the hubs above, Entity.hub_shared) or that contributed to them."""
    if keep is None:
        return sql.replace("/*C*/", "").replace("/*P*/", ""), []
    if not keep:
        return sql.replace("/*C*/", " AND false").replace("/*P*/", " AND false"), []
    marks = ", ".join("?" for _ in keep)
    out, params = sql, []
    for marker, text, n in (("/*C*/", f" AND c.hub_id IN ({marks})", 1),
                            ("/*P*/", f" AND (p.hub_id IN ({SHARED_HUBS_SQL.format(marks=marks)}) OR p.id IN"
                                      f" (SELECT partner_id FROM partner_contributions WHERE hub_id IN ({marks})))", 2)):
        if marker in out:
            out = out.replace(marker, text)
            params += [int(h) for h in keep] * n
    return out, params


def continuity(db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """One row per partner the reader sees: its continuity (协议合作 / 多次合作 / 单次合作 / 暂无贡献) and its totals,
    from the contributions recorded by the reader's hubs."""
    db = db or get_db()
    keep = _kept(actor)
    sql, params = _scoped(_CONTINUITY_SQL, keep)
    return cache.cached("partners:continuity", keep, (*TABLES, "hubs"), lambda: db.fetch_df(sql, params), db)


def continuity_counts(db=None, *, actor: Actor | None = None) -> dict[str, int]:
    """How many partners are in each continuity class (every class, 0 where none)."""
    df = continuity(db, actor=actor)
    return {label: int((df["continuity"] == label).sum()) for label in CONTINUITY.values()}


YEAR_COLUMNS = columns(
    "year", "partners", "returning", "returning_share", "contributions", "money", "non_gov_money", "non_gov_share",
    "value", computed={
        "year": "年度", "partners": number("贡献伙伴数"), "returning": number("其中往年合作过的伙伴"),
        "returning_share": ratio("回头伙伴占比"), "contributions": number("贡献次数"), "money": money("资金合计(元)"),
        "non_gov_money": money("非政府资金(元)"), "non_gov_share": ratio("非政府资金占比"),
        "value": money("折合价值合计(元)")})
_YEAR_SQL = f"""
WITH c AS (SELECT c.*, year(c.contributed_on) AS y, p.kind AS pkind FROM partner_contributions c
           JOIN partners p ON p.id = c.partner_id WHERE true /*C*/),
     firsts AS (SELECT partner_id, min(y) AS first_y FROM c GROUP BY partner_id)
SELECT CAST(c.y AS VARCHAR) AS year, count(DISTINCT c.partner_id) AS partners,
       count(DISTINCT CASE WHEN f.first_y < c.y THEN c.partner_id END) AS returning,
       count(DISTINCT CASE WHEN f.first_y < c.y THEN c.partner_id END)::DOUBLE / count(DISTINCT c.partner_id)
           AS returning_share,
       count(*) AS contributions, coalesce(sum(c.amount), 0)::DOUBLE AS money,
       coalesce(sum(CASE WHEN c.pkind <> '{GOVERNMENT}' THEN c.amount END), 0)::DOUBLE AS non_gov_money,
       CASE WHEN coalesce(sum(c.amount), 0) > 0 THEN
           coalesce(sum(CASE WHEN c.pkind <> '{GOVERNMENT}' THEN c.amount END), 0)::DOUBLE / sum(c.amount) END
           AS non_gov_share,
       coalesce(sum(c.estimated_value), 0)::DOUBLE AS value
FROM c JOIN firsts f ON f.partner_id = c.partner_id GROUP BY c.y ORDER BY c.y"""


def by_year(db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """One row per year: contributing partners, those who had contributed in an earlier year (回头伙伴), the
    contributions, the money and the share of it that is not government money (the reader's hubs' contributions)."""
    db = db or get_db()
    keep = _kept(actor)
    sql, params = _scoped(_YEAR_SQL, keep)
    return cache.cached("partners:by_year", keep, TABLES, lambda: db.fetch_df(sql, params), db)


def _pivot(db, name: str, expr: str, values: list[str], actor: Actor | None = None) -> pd.DataFrame:
    keep = _kept(actor)
    sql, params = _scoped(f"SELECT CAST(year(c.contributed_on) AS VARCHAR) AS year, {expr} AS k, count(*) AS n,"
                          " coalesce(sum(c.amount), 0)::DOUBLE + coalesce(sum(c.estimated_value), 0)::DOUBLE AS v"
                          " FROM partner_contributions c JOIN partners p ON p.id = c.partner_id WHERE true /*C*/"
                          " GROUP BY 1, 2 ORDER BY 1", keep)

    def load() -> pd.DataFrame:
        raw = db.fetch_df(sql, params)
        out = pd.DataFrame({"year": sorted(raw["year"].unique())}) if not raw.empty else pd.DataFrame({"year": []})
        for k in values:
            part = raw[raw["k"] == k].set_index("year")
            out[f"{k}(次)"] = out["year"].map(part["n"]).fillna(0).astype(int)
            out[f"{k}(元)"] = out["year"].map(part["v"]).fillna(0.0).astype(float)
        return out

    return cache.cached(name, keep, TABLES, load, db)


def by_year_and_kind(db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """Per year and contribution kind: how many contributions and their value (money + estimated value)."""
    return _pivot(db or get_db(), "partners:by_kind", "c.kind", list(OFFERS), actor)


def by_year_and_partner_kind(db=None, *, actor: Actor | None = None) -> pd.DataFrame:
    """Per year and partner kind: how many contributions and their value (money + estimated value)."""
    return _pivot(db or get_db(), "partners:by_partner_kind", "p.kind", list(PARTNER_KINDS), actor)


def pivot_labels(kinds: list[str]) -> dict:
    """The labels of :func:`by_year_and_kind` / :func:`by_year_and_partner_kind`'s columns, with their formats."""
    out = {"year": YEAR_COLUMNS["year"]}
    for k in kinds:
        out[f"{k}(次)"] = number(f"{k}(次)")
        out[f"{k}(元)"] = money(f"{k}(元)")
    return out


# ---- names for the screens -----------------------------------------------------------------------------------
def partner_name(partner_id) -> str | None:
    return None if partner_id is None else choices.label("partners", int(partner_id))


def project_title(project_id) -> str | None:
    return None if project_id is None else choices.label("projects", int(project_id))


def idea_title(idea_id) -> str | None:
    return None if idea_id is None else choices.label("claim_ideas", int(idea_id))
