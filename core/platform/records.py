"""The one write path: check the actor's role and the entity's row rules -> validate with the schema -> write in a transaction
-> audit row, all or nothing. Every table change in HubDesk goes through here.

Single-table writes use :func:`create`, :func:`create_many`, :func:`update` and :func:`delete`.
A change that spans tables (an application with its milestones, a workflow move with its event)
uses :func:`unit`: every write in the block shares one transaction and its audit rows are appended
at the end of it, so either all of it is stored, audited, or none of it.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from core.platform import audit
from core.platform.actor import Actor, acting
from core.platform.db import Transaction, get_db
from core.platform.entities import Entity, RuleContext, reads_shared
from core.platform.errors import HubError, NotFound, PermissionDenied, ValidationFailed, WriteFailed
from core.platform.validation import plain, to_failure, validate, validate_many
from schemas.base import field_specs


def _owner(entity: Entity, actor: Actor, action: str, key: Any, fields: set[str] | None) -> bool:
    """``owner_may_set``: a user changes those columns of their own row (their password hash) and no other."""
    return (action == "update" and bool(entity.owner_may_set) and key is not None and actor.username == str(key)
            and fields is not None and fields <= set(entity.owner_may_set))


def _allow(entity: Entity, actor: Actor, action: str, key: Any = None, fields: set[str] | None = None) -> None:
    """Before any row is read: PermissionDenied unless the actor's roles, the owner's columns or one of the
    entity's row rules (judged row by row in :class:`Unit`) may allow ``action``."""
    if actor.system or actor.has(*entity.roles_for(action)) or _owner(entity, actor, action, key, fields):
        return
    if any(rule.applies(actor, action) for rule in entity.rules):
        return
    raise PermissionDenied(f"当前账号无权修改{entity.label}")


STAMP_COLUMNS = frozenset({"created_at", "created_by", "updated_at", "updated_by"})


def _hub_name(db, hub_id: Any) -> str:
    row = db.fetch_one("SELECT name FROM hubs WHERE id = ?", [hub_id]) if hub_id is not None else None
    return f"「{row['name']}」" if row else f"(编号 {hub_id})"


def _within_hub(ctx: RuleContext, entity: Entity, before: dict | None, after: dict | None) -> None:
    """A hub-owned record (``Entity.hub_owned``) is written only by its own hub's accounts: the row as it was and as
    it will be must both belong to the actor's hub (a 区 or 市 account reads its streets' records, never writes
    them); so is a record of one (``Entity.hub_via``: its hub read through its parent). The system writes for every
    hub."""
    actor = ctx.actor
    if not (entity.hub_owned or entity.hub_via) or actor.system:
        return
    for row in (before, after):
        if row is None:
            continue
        hub = _row_hub(ctx, entity, row)
        if hub is None and entity.hub_via and not entity.hub_owned:
            continue  # not (yet) of a hub-owned record, or no such parent: the caller's own check names what is missing
        if not actor.writes(hub):
            title = row.get(entity.title_field) if actor.reads(hub) else None
            what = f"{entity.label}「{title}」" if title else f"该{entity.label}"
            raise PermissionDenied(
                f"{what}属于{_hub_name(ctx.db, hub) if actor.reads(hub) else '其他枢纽'}的台账,当前账号属于"
                f"{_hub_name(ctx.db, actor.hub_id)},只能新建和修改本枢纽的记录(上级枢纽查看下级的汇总数据只读);"
                "请由该枢纽的工作人员办理。")


def _row_hub(ctx: RuleContext, entity: Entity, row: dict | None) -> Any:
    """The hub ``row`` belongs to: its own (``Entity.hub_column``: a hub-owned record, an account, a hub), else its
    parent's (``Entity.hub_via``, read once per parent in the unit: an import's rows share one), else None (a record of
    no hub: the whole install's, such as a reminder rule)."""
    if row is None:
        return None
    if entity.hub_via and not entity.hub_owned:
        column, sql = entity.hub_via
        if row.get(column) is None:
            return None
        if (sql, row[column]) not in ctx.parent_hubs:
            found = ctx.db.fetch_one(sql, [row[column]])  # ``sql`` names the hub ``hub_id``
            ctx.parent_hubs[(sql, row[column])] = None if found is None else found["hub_id"]
        return ctx.parent_hubs[(sql, row[column])]
    return row.get(entity.hub_column)


def _stamp_hub(entity: Entity, actor: Actor, row: dict) -> None:
    """A new hub-owned row belongs to the actor's hub unless the caller named one (the write is then judged by
    :func:`_within_hub`: only the system names another hub)."""
    if entity.hub_owned and row.get("hub_id") is None:
        row["hub_id"] = actor.hub_id


def _judge(ctx: RuleContext, entity: Entity, action: str, before: dict | None, after: dict | None,
           fields: set[str]) -> None:
    """The row-level check of every create/update/delete: the actor's roles for ``action``, else the first of
    the entity's row rules for their role that accepts the row; else the first rule's Chinese refusal."""
    actor = ctx.actor
    key = (before or after or {}).get(entity.key)
    owner = _owner(entity, actor, action, key, fields)
    if actor.system or actor.has(*entity.roles_for(action)) or owner:
        if not owner:
            _within_hub(ctx, entity, before, after)
        return
    refusal: HubError | None = None
    for rule in (r for r in entity.rules if r.applies(actor, action)):
        if rule.fields is not None and not set(fields) - STAMP_COLUMNS <= rule.fields:
            refusal = refusal or PermissionDenied(f"{rule.says},不能修改{entity.label}的其他内容")
            continue
        try:
            if not rule.any_hub:  # a rule that ties the row to the actor (Rule.any_hub) is judged whatever its hub
                _within_hub(ctx, entity, before, after)
            rule.check(ctx, before, after)
            return
        except HubError as exc:
            refusal = refusal or exc
    raise refusal or PermissionDenied(f"当前账号无权修改{entity.label}")


def clean(entity: Entity, values: dict, context: dict | None = None) -> dict:
    """Validate ``values`` with the entity's schema (ValidationFailed if not) and add derived fields.
    ``context``: what its dates are checked against (``core.platform.validation.validate``)."""
    record = validate(entity.schema, values, context=context) if entity.schema is not None else {k: plain(v) for k, v in values.items()}
    if entity.derive is not None:
        record = entity.derive(dict(record))
    return record


def clean_many(entity: Entity, rows: list[dict], context: dict | None = None) -> list[dict]:
    """``clean`` for many rows with one validation of the whole batch (a row-by-row validation costs
    tens of milliseconds per row); ValidationFailed if any row fails, naming the first failing row."""
    if len(rows) <= 1 or entity.schema is None:
        return [clean(entity, r, context) for r in rows]
    valid, errors = validate_many(entity.schema, rows, context=context)
    if errors:
        first = min(e.row for e in errors)
        if first < 0:
            raise to_failure(errors)
        clean(entity, rows[first], context)  # raises that row's messages, as a single create would
        raise to_failure(errors)
    out = [valid[i] for i in range(len(rows))]
    return [entity.derive(dict(r)) for r in out] if entity.derive is not None else out


_clean = clean  # older name


_INT_KEYS: dict[str, bool] = {}


def _int_key(entity: Entity) -> bool:
    """Is the entity's key a number (a generated id, or an integer field such as a policy's round)?"""
    if entity.name not in _INT_KEYS:
        col = entity.schema.to_schema().columns.get(entity.key) if entity.schema is not None else None
        _INT_KEYS[entity.name] = entity.key_generated or (col is not None and "int" in str(col.dtype).lower())
    return _INT_KEYS[entity.name]


def _fetch(tx_or_db, entity: Entity, key: Any) -> dict | None:
    if isinstance(key, str) and _int_key(entity):  # a text key of a numbered record (a URL's ?id=abc): no such row,
        if not key.strip().lstrip("-").isdigit():  # on both engines (PostgreSQL refuses to compare it with a number)
            return None
        key = int(key)
    return tx_or_db.fetch_one(f"SELECT * FROM {entity.table} WHERE {entity.key} = ?", [key])


def get(entity: Entity, key: Any, db=None) -> dict:
    """One stored row by its key, or NotFound with a Chinese message naming the entity (also for a hub-owned row
    of a hub the screen's user does not read: another hub's record opened by its id reads as a missing one)."""
    db = db or get_db()
    row = _fetch(db, entity, key)
    who = acting() if entity.hub_owned else None
    if row is None or (who is not None and not (reads_shared(db, who, row.get("hub_id")) if entity.hub_shared
                                                  else who.reads(row.get("hub_id")))):
        raise NotFound(f"{entity.label}(编号 {key})不存在")
    return row


def _check_unique(tx: Transaction, entity: Entity, record: dict, key: Any) -> None:
    problems: dict[str, list[str]] = {}
    for rule in entity.unique:
        value = record.get(rule.field)
        if value is None:
            continue
        sql = f"SELECT {entity.key} AS k, {entity.title_field} AS t FROM {entity.table} WHERE {rule.field} = ?"
        params: list[Any] = [value]
        if rule.within:  # unique within the row's value of that column (a round's name within its hub)
            sql += f" AND {rule.within} = ?"
            params.append(record.get(rule.within))
        if key is not None:
            sql += f" AND {entity.key} <> ?"
            params.append(key)
        hit = tx.fetch_one(sql + " LIMIT 1", params)
        if hit:
            problems.setdefault(rule.field, []).append(rule.says(entity, hit["t"], hit["k"]))
    if problems:
        raise ValidationFailed(fields=problems)


def _insert(tx: Transaction, entity: Entity, row: dict) -> dict:
    """Insert one row; returns the stored row (with defaults and generated key)."""
    cols = list(row)
    sql = (f"INSERT INTO {entity.table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
           " RETURNING *")
    cur = tx.execute(sql, [row[c] for c in cols])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


BATCH_ROWS = 2000  # rows per INSERT statement of a batch


def _insert_rows(tx: Transaction, table: str, cols: list[str], chunk: list[dict]) -> list[dict]:
    """Insert rows that have the same columns with one statement; the stored rows (defaults, generated keys)
    in the order given. The rows go in as one Arrow table (a multi-row VALUES list binds every value as a
    parameter: ~20 times slower); values Arrow cannot take as a column (mixed kinds) use that list instead."""
    data = None
    if len(chunk) > 1:
        try:
            data = pa.table({c: pa.array([row[c] for row in chunk]) for c in cols})
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass
    if data is not None:
        tx.cursor.register(_STAGED, data)
        try:
            cur = tx.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {_STAGED}"
                             " RETURNING *")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
        finally:
            tx.cursor.unregister(_STAGED)
    one = "(" + ", ".join("?" for _ in cols) + ")"
    cur = tx.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES " + ", ".join(one for _ in chunk)
                     + " RETURNING *", [row[c] for row in chunk for c in cols])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


_STAGED = "_hubdesk_staged_rows"


def _first_duplicate(tx: Transaction, entity: Entity, records: list[dict]) -> int | None:
    """The position of the first record whose unique value is already stored, or repeats an earlier record's
    (one query per unique rule for the whole batch); None when there is none."""
    first: int | None = None
    for rule in entity.unique:
        values = [r.get(rule.field) for r in records]
        present = [v for v in values if v is not None]
        if not present:
            continue
        stored = {(row[1] if rule.within else None, row[0]) for row in tx.execute(
            f"SELECT DISTINCT {rule.field}{', ' + rule.within if rule.within else ''} FROM {entity.table}"
            f" WHERE {rule.field} IN (SELECT unnest(?))", [present]).fetchall()}
        seen: set = set()
        for i, value in enumerate(values):
            if value is None:
                continue
            v = (records[i].get(rule.within) if rule.within else None, value)
            if v in stored or v in seen:
                first = i if first is None else min(first, i)
                break
            seen.add(v)
    return first


class Unit:
    """Writes inside one open transaction; audit rows are collected and appended on success."""

    def __init__(self, tx: Transaction, actor: Actor):
        self.tx = tx
        self.actor = actor
        self.changes: list[audit.Change] = []
        self.now = datetime.now()
        self.ctx = RuleContext(tx, actor)  # what the entities' row rules read (rows as the unit found them)

    def fetch(self, entity: Entity, key: Any) -> dict | None:
        return _fetch(self.tx, entity, key)

    def create(self, entity: Entity, values: dict, *, system: dict | None = None, validated: bool = False,
               action: str = "create", note: str | None = None) -> Any:
        _allow(entity, self.actor, "create")
        record = dict(values) if validated else clean(entity, values)
        row = dict(record)
        if entity.stamps:
            row.update(created_at=self.now, created_by=self.actor.username)
        row.update(system or {})  # e.g. a historical created_at when importing old records
        _stamp_hub(entity, self.actor, row)
        _check_unique(self.tx, entity, row, None)  # as it will be stored (its hub: Unique.within)
        _judge(self.ctx, entity, "create", None, row, set(row))
        stored = _insert(self.tx, entity, row)
        key = stored[entity.key]
        self.ctx.begun[(entity.table, key)] = None
        self.changes.append(audit.Change(entity.table, key, action, None, stored, entity.secret_fields, note,
                                         _row_hub(self.ctx, entity, stored)))
        self.tx.touch(entity.table)
        return key

    def create_many(self, entity: Entity, rows: list[dict], *, system: dict | list[dict] | None = None,
                    validated: bool = False, action: str | list[str] = "create",
                    note: str | None | list[str | None] = None) -> list[Any]:
        """:meth:`create` for many rows of one entity (a review's scores, a project's activities, demo data): the
        same checks and one audit change per row, but one query per unique rule for the whole batch (a later row
        that repeats an earlier one's value is refused as a single create would refuse it) and one INSERT per
        :data:`BATCH_ROWS` rows (DuckDB is columnar: a statement per row costs milliseconds). ``system``, ``action``
        and ``note``: one for every row or a list of one per row. Returns the keys in the order of ``rows``."""
        _allow(entity, self.actor, "create")
        prepared = []
        cleaned = [dict(values) for values in rows] if validated else clean_many(entity, rows)  # one validation
        for i, record in enumerate(cleaned):
            row = dict(record)
            if entity.stamps:
                row.update(created_at=self.now, created_by=self.actor.username)
            row.update((system[i] if isinstance(system, list) else system) or {})
            _stamp_hub(entity, self.actor, row)
            prepared.append((record, row))
        first = _first_duplicate(self.tx, entity, [r for _, r in prepared])
        for i, (record, row) in enumerate(prepared):
            if i == first:
                self._store(entity, [r for _, r in prepared[:i]], action, note)  # its keys, for the message
                _check_unique(self.tx, entity, row, None)  # raises that row's messages
            _judge(self.ctx, entity, "create", None, row, set(row))
        return self._store(entity, [r for _, r in prepared], action, note)

    def _store(self, entity: Entity, prepared: list[dict], action: str | list[str],
               note: str | None | list[str | None]) -> list[Any]:
        keys: list[Any] = []
        start = 0
        while start < len(prepared):
            cols = list(prepared[start])
            end = start
            while end < len(prepared) and end - start < BATCH_ROWS and list(prepared[end]) == cols:
                end += 1
            for i, row in enumerate(_insert_rows(self.tx, entity.table, cols, prepared[start:end]), start):
                keys.append(row[entity.key])
                self.ctx.begun[(entity.table, row[entity.key])] = None
                self.changes.append(audit.Change(
                    entity.table, row[entity.key], action[i] if isinstance(action, list) else action, None, row,
                    entity.secret_fields, note[i] if isinstance(note, list) else note, _row_hub(self.ctx, entity, row)))
            start = end
        if prepared:
            self.tx.touch(entity.table)
        return keys

    def update(self, entity: Entity, key: Any, values: dict, *, system: dict | None = None,
               touch: dict | None = None, validated: bool = False, action: str = "update",
               note: str | None = None) -> bool:
        """Change ``values`` (validated as the whole record after the change) and ``system`` columns."""
        fields = set(values) | set(system or {}) | set(touch or {})
        _allow(entity, self.actor, "update", key, fields)
        before = _fetch(self.tx, entity, key)
        if before is None:
            raise NotFound(f"{entity.label}(编号 {key})不存在")
        self.ctx.begun.setdefault((entity.table, key), before)
        if validated or entity.schema is None or not values:
            record = {k: plain(v) for k, v in values.items()} if (validated or not values) else clean(entity, values)
        else:
            names = list(field_specs(entity.schema))
            merged = {n: values.get(n, before.get(n)) for n in names}
            record = {k: v for k, v in clean(entity, merged).items() if k in values or k not in names}
        record.update({k: plain(v) for k, v in (system or {}).items()})
        _judge(self.ctx, entity, "update", before, {**before, **record, **(touch or {})}, fields)
        changed = {k: v for k, v in record.items() if plain(before.get(k)) != v}
        if not changed:
            return False
        _check_unique(self.tx, entity, dict(before, **changed), key)
        if entity.stamps:
            changed.update(updated_at=self.now, updated_by=self.actor.username)
        changed.update(touch or {})
        sets = ", ".join(f"{c} = ?" for c in changed)
        self.tx.execute(f"UPDATE {entity.table} SET {sets} WHERE {entity.key} = ?", list(changed.values()) + [key])
        after = _fetch(self.tx, entity, key)
        self.changes.append(audit.Change(entity.table, key, action, before, after, entity.secret_fields, note,
                                         _row_hub(self.ctx, entity, after)))
        self.tx.touch(entity.table)
        return True

    def update_many(self, entity: Entity, system: dict[Any, dict], *, action: str = "update",
                    note: str | None = None) -> list[Any]:
        """:meth:`update` with ``system`` columns for many rows of one entity (a review's scores, checked by
        the caller): the same checks and one audit change per changed row, but a constant number of
        statements (one read of the rows, one UPDATE of every changed row, whose RETURNING is the audit's
        after). Unchanged rows are neither written nor stamped. Returns the keys of the changed rows."""
        if not system:
            return []
        keys = list(system)
        for key in keys:
            _allow(entity, self.actor, "update", key, set(system[key]))
        found = {row[entity.key]: row for row in self.tx.fetch_all(
            f"SELECT * FROM {entity.table} WHERE {entity.key} IN ({', '.join('?' for _ in keys)})", keys)}
        changes: dict[Any, dict] = {}
        for key in keys:
            before = found.get(key)
            if before is None:
                raise NotFound(f"{entity.label}(编号 {key})不存在")
            self.ctx.begun.setdefault((entity.table, key), before)
            record = {k: plain(v) for k, v in system[key].items()}
            _judge(self.ctx, entity, "update", before, {**before, **record}, set(record))
            changed = {k: v for k, v in record.items() if plain(before.get(k)) != v}
            if not changed:
                continue
            _check_unique(self.tx, entity, dict(before, **changed), key)
            if entity.stamps:
                changed.update(updated_at=self.now, updated_by=self.actor.username)
            changes[key] = changed
        if not changes:
            return []
        # one statement: each changed row gets every column any row changes (its own value where it did not)
        cols = list(dict.fromkeys(c for changed in changes.values() for c in changed))
        one = "(" + ", ".join("?" for _ in range(len(cols) + 1)) + ")"
        params = [v for key, changed in changes.items()
                  for v in [key] + [changed[c] if c in changed else plain(found[key].get(c)) for c in cols]]
        cur = self.tx.execute(
            f"UPDATE {entity.table} SET {', '.join(f'{c} = v.{c}' for c in cols)} FROM (VALUES "
            + ", ".join(one for _ in changes) + f") AS v(_key, {', '.join(cols)}) WHERE {entity.table}.{entity.key} = v._key"
            " RETURNING *", params)
        names = [d[0] for d in cur.description]
        after = {row[entity.key]: row for row in (dict(zip(names, r)) for r in cur.fetchall())}
        for key in changes:
            self.changes.append(audit.Change(entity.table, key, action, found[key], after[key], entity.secret_fields,
                                             note, _row_hub(self.ctx, entity, after[key])))
        self.tx.touch(entity.table)
        return list(changes)

    def delete(self, entity: Entity, key: Any, *, note: str | None = None) -> None:
        _allow(entity, self.actor, "delete")
        before = _fetch(self.tx, entity, key)
        if before is None:
            raise NotFound(f"{entity.label}(编号 {key})不存在")
        self.ctx.begun.setdefault((entity.table, key), before)
        _judge(self.ctx, entity, "delete", before, None, set())
        self.tx.execute(f"DELETE FROM {entity.table} WHERE {entity.key} = ?", [key])
        self.changes.append(audit.Change(entity.table, key, "delete", before, None, entity.secret_fields, note,
                                         _row_hub(self.ctx, entity, before)))
        self.tx.touch(entity.table)


class ConstraintRefused(WriteFailed, duckdb.ConstraintException):
    """The database refused the write (a NOT NULL or UNIQUE constraint); nothing was stored. Still a
    ``duckdb.ConstraintException`` for callers that word their own message (a concurrent import)."""


class ValueRefused(WriteFailed, duckdb.DataError):
    """A value the database cannot hold (out of its column's range); nothing was stored."""


def _refused(exc: duckdb.Error) -> WriteFailed:
    text = str(exc)
    if isinstance(exc, duckdb.ConstraintException):
        if "NOT NULL" in text:
            return ConstraintRefused("保存失败:记录缺少必需的信息,本次修改未保存。")
        if "unique" in text.lower() or "duplicate" in text.lower():
            return ConstraintRefused("保存失败:与已有记录重复,本次修改未保存;请刷新页面后核对。")
        return ConstraintRefused("保存失败:数据不符合数据库的约束,本次修改未保存。")
    return ValueRefused("保存失败:有数值超出了允许的范围或格式,本次修改未保存。")


@contextmanager
def unit(actor: Actor, db=None) -> Iterator[Unit]:
    """One transaction for several writes; audited together; all or nothing. A write the database
    itself refuses (constraint, out-of-range value) is rolled back and raised as a ``WriteFailed``
    with a Chinese message, never as a raw database error."""
    db = db or get_db()
    try:
        with db.transaction() as tx:
            u = Unit(tx, actor)
            yield u
            audit.record(tx, actor.username, u.changes)
    except (duckdb.ConstraintException, duckdb.DataError) as exc:
        if isinstance(exc, WriteFailed):
            raise
        raise _refused(exc) from exc


def create(entity: Entity, values: dict, actor: Actor, *, system: dict | None = None, db=None,
           note: str | None = None, context: dict | None = None) -> Any:
    """Validate and insert one record; returns its key."""
    return create_many(entity, [values], actor, system=[system or {}], db=db, note=note, context=context)[0]


def create_many(entity: Entity, rows: list[dict], actor: Actor, *, system: list[dict] | None = None,
                db=None, action: str = "create", note: str | None = None,
                context: dict | None = None) -> list[Any]:
    """Validate every row first (outside the lock); then insert them all in one transaction."""
    _allow(entity, actor, "create")
    records = clean_many(entity, rows, context)
    extras = system or [{} for _ in records]
    with unit(actor, db) as u:
        return u.create_many(entity, records, system=list(extras), validated=True, action=action, note=note)


def update(entity: Entity, key: Any, values: dict, actor: Actor, *, system: dict | None = None,
           touch: dict | None = None, action: str = "update", db=None, note: str | None = None,
           context: dict | None = None) -> bool:
    """Validate the record as it will be after the change, then update it. Returns False if unchanged.

    ``system`` columns are set by the caller, not the user (they count as changes); ``touch`` columns
    (e.g. ``updated_at`` of an entity without stamps) are set only when something else changed.
    """
    _allow(entity, actor, "update", key, set(values) | set(system or {}) | set(touch or {}))
    db = db or get_db()
    current = _fetch(db, entity, key)
    if current is None:
        raise NotFound(f"{entity.label}(编号 {key})不存在")
    record = {}
    names = list(field_specs(entity.schema)) if entity.schema is not None else []
    if names and values:
        merged = {n: values.get(n, current.get(n)) for n in names}
        record = {k: v for k, v in clean(entity, merged, context).items() if k in values or k not in names}
    elif values:
        record = clean(entity, values, context)
    with unit(actor, db) as u:
        if names and values:
            latest = u.fetch(entity, key)
            if latest is not None and any(plain(latest.get(n)) != plain(current.get(n)) for n in names if n not in values):
                # someone saved this record since it was read: check the combination again, under the lock
                merged = {n: values.get(n, latest.get(n)) for n in names}
                record = {k: v for k, v in clean(entity, merged, context).items() if k in values or k not in names}
        return u.update(entity, key, record, system=system, touch=touch, validated=True, action=action, note=note)


def housekeep(entity: Entity, key: Any, values: dict, *, db=None, only_if: str = "") -> None:
    """The system's bookkeeping, declared on the entity (``Entity.housekeeping``): set those columns of one
    row, unaudited, in a transaction of its own. ``only_if``: a fixed SQL condition the row must also meet."""
    extra = set(values) - set(entity.housekeeping)
    if not values or extra:
        raise PermissionDenied(f"{entity.label}的这些信息不能由系统直接更新:{'、'.join(sorted(extra)) or '(无)'}")
    sets = ", ".join(f"{c} = ?" for c in values)
    with (db or get_db()).transaction() as tx:
        tx.execute(f"UPDATE {entity.table} SET {sets} WHERE {entity.key} = ?" + (f" AND {only_if}" if only_if else ""),
                   [plain(v) for v in values.values()] + [key])


def delete(entity: Entity, key: Any, actor: Actor, *, db=None, note: str | None = None) -> None:
    _allow(entity, actor, "delete")
    with unit(actor, db) as u:
        u.delete(entity, key, note=note)
