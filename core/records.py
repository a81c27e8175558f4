"""The one write path: check the actor's role -> validate with the schema -> write in a transaction
-> audit row, all or nothing. Every table change in HubDesk goes through here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from core import audit
from core.actor import Actor
from core.db import Transaction, get_db
from core.entities import Entity
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.validation import plain, validate
from schemas.base import field_specs


def _allow(entity: Entity, actor: Actor, key: Any = None, fields: set[str] | None = None) -> None:
    if (entity.owner_may_set and key is not None and actor.username == str(key)
            and fields is not None and fields <= set(entity.owner_may_set)):
        return
    if not actor.has(*entity.write_roles, "system"):
        raise PermissionDenied(f"当前账号无权修改{entity.label}")


def _clean(entity: Entity, values: dict) -> dict:
    record = validate(entity.schema, values) if entity.schema is not None else {k: plain(v) for k, v in values.items()}
    if entity.derive is not None:
        record = entity.derive(dict(record))
    return record


def _fetch(tx_or_db, entity: Entity, key: Any) -> dict | None:
    return tx_or_db.fetch_one(f"SELECT * FROM {entity.table} WHERE {entity.key} = ?", [key])


def _check_unique(tx: Transaction, entity: Entity, record: dict, key: Any) -> None:
    problems: dict[str, list[str]] = {}
    for rule in entity.unique:
        value = record.get(rule.field)
        if value is None:
            continue
        sql = f"SELECT {entity.key} AS k, {entity.title_field} AS t FROM {entity.table} WHERE {rule.field} = ?"
        params: list[Any] = [value]
        if key is not None:
            sql += f" AND {entity.key} <> ?"
            params.append(key)
        hit = tx.fetch_one(sql + " LIMIT 1", params)
        if hit:
            problems.setdefault(rule.field, []).append(rule.message.format(title=hit["t"], key=hit["k"]))
    if problems:
        raise ValidationFailed(fields=problems)


def _insert(tx: Transaction, entity: Entity, row: dict) -> Any:
    cols = list(row)
    sql = (f"INSERT INTO {entity.table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
           f" RETURNING {entity.key}")
    return tx.execute(sql, [row[c] for c in cols]).fetchone()[0]


def create(entity: Entity, values: dict, actor: Actor, *, system: dict | None = None, db=None) -> Any:
    """Validate and insert one record; returns its key."""
    return create_many(entity, [values], actor, system=[system or {}], db=db)[0]


def create_many(entity: Entity, rows: list[dict], actor: Actor, *, system: list[dict] | None = None,
                db=None, action: str = "create") -> list[Any]:
    """Validate every row first; then insert them all in one transaction with their audit rows."""
    _allow(entity, actor)
    db = db or get_db()
    records = [_clean(entity, r) for r in rows]
    extras = system or [{} for _ in records]
    now = datetime.now()
    keys = []
    with db.transaction() as tx:
        changes = []
        for record, extra in zip(records, extras):
            _check_unique(tx, entity, record, None)
            row = dict(record, **extra)
            if entity.stamps:
                row.update(created_at=now, created_by=actor.username)
            key = _insert(tx, entity, row)
            keys.append(key)
            changes.append(audit.Change(entity.table, key, action, None, _fetch(tx, entity, key), entity.secret_fields))
        audit.record(tx, actor.username, changes)
        tx.touch(entity.table)
    return keys


def update(entity: Entity, key: Any, values: dict, actor: Actor, *, system: dict | None = None,
           action: str = "update", db=None) -> bool:
    """Validate the record as it will be after the change, then update it. Returns False if unchanged."""
    _allow(entity, actor, key, set(values) | set(system or {}))
    db = db or get_db()
    current = _fetch(db, entity, key)
    if current is None:
        raise NotFound(f"{entity.label}(编号 {key})不存在")
    if entity.schema is not None:
        names = list(field_specs(entity.schema))
        merged = {n: values.get(n, current.get(n)) for n in names}
        record = {k: v for k, v in _clean(entity, merged).items() if k in values or k not in names}
    else:
        record = _clean(entity, values)
    record.update(system or {})
    with db.transaction() as tx:
        before = _fetch(tx, entity, key)
        if before is None:
            raise NotFound(f"{entity.label}(编号 {key})不存在")
        changed = {k: v for k, v in record.items() if plain(before.get(k)) != v}
        if not changed:
            return False
        _check_unique(tx, entity, dict(before, **changed), key)
        if entity.stamps:
            changed.update(updated_at=datetime.now(), updated_by=actor.username)
        sets = ", ".join(f"{c} = ?" for c in changed)
        tx.execute(f"UPDATE {entity.table} SET {sets} WHERE {entity.key} = ?", list(changed.values()) + [key])
        after = _fetch(tx, entity, key)
        audit.record(tx, actor.username, [audit.Change(entity.table, key, action, before, after, entity.secret_fields)])
        tx.touch(entity.table)
    return True


def delete(entity: Entity, key: Any, actor: Actor, *, db=None) -> None:
    _allow(entity, actor)
    db = db or get_db()
    with db.transaction() as tx:
        before = _fetch(tx, entity, key)
        if before is None:
            raise NotFound(f"{entity.label}(编号 {key})不存在")
        tx.execute(f"DELETE FROM {entity.table} WHERE {entity.key} = ?", [key])
        audit.record(tx, actor.username, [audit.Change(entity.table, key, "delete", before, None, entity.secret_fields)])
        tx.touch(entity.table)
