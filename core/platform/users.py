"""User accounts (kept in DuckDB): create, disable, reset passwords, roles; credentials for sign-in."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.platform import passwords, records, sessions
from core.platform.listing import Rows
from core.platform.actor import DEFAULT_HUB, Actor
from core.platform.db import get_db
from core.platform.entities import Entity, Rule, RuleContext, Unique, granted, register
from core.platform.errors import NotFound, PermissionDenied, ValidationFailed
from schemas.columns import columns
from schemas.user import PasswordChange, UserAccount
from core.platform.validation import validate

ROLE_ORDER = ("admin", "staff", "reviewer", "leader")

USER = register(Entity(
    name="user", table="users", label="用户账号", schema=UserAccount, write_roles=frozenset({"admin"}),
    key="username", key_generated=False, title_field="name", secret_fields=("password_hash",), stamps=False,
    owner_may_set=("password_hash", "updated_at"),
    unique=(Unique("username", "用户名 {key} 已被「{title}」使用,请换一个"),),
))


def get(username: str, db=None) -> dict | None:
    db = db or get_db()
    return db.fetch_one("SELECT * FROM users WHERE username = ?", [username])


# the list of accounts (:func:`list_users`)
LIST_COLUMNS = columns("username", "name", "email", "roles", "active", "is_demo", "created_at", "updated_at",
                       of=UserAccount)


def account_rows(hubs: tuple[int, ...] | None = None) -> Rows:
    """Every account (roles joined by commas), by username: the 用户与角色 list, paged in the database; ``hubs``: the
    accounts of those hubs only (an admin's own hub and those below it; None: every account)."""
    where = "" if hubs is None else f" WHERE hub_id IN ({', '.join('?' for _ in hubs)})" if hubs else " WHERE false"
    return Rows("SELECT username, name, email, array_to_string(roles, ',') AS roles, active, is_demo, created_at,"
                " updated_at FROM users" + where, "username", tuple(int(h) for h in hubs or ()))


def list_users(db=None, *, hubs: tuple[int, ...] | None = None) -> pd.DataFrame:
    return account_rows(hubs).all(db)


# ---- the install's operator -------------------------------------------------------------------------------
NOT_OPERATOR = ("备份、完整导出和审计日志完整性校验包含所有枢纽的数据,只有最上级枢纽(没有上级枢纽的枢纽,如市级枢纽)"
                "的管理员可以办理;请联系该枢纽的管理员。")


def operates(actor: Actor | None, db=None) -> bool:
    """Does ``actor`` operate the whole install: an admin of the top hub (one without a parent: the city's centre in a
    network, the only centre of a single-hub install)? The hub network, backups, the full export and the audit rows
    of every hub are theirs; every other admin runs their own hub."""
    if actor is None:
        return False
    if actor.system:
        return True
    if not actor.has("admin"):
        return False
    db = db or get_db()
    row = db.fetch_one("SELECT parent_id FROM hubs WHERE id = ?", [actor.hub_id])
    if row is None:  # no hub tree yet (a database before its first start): one centre, run by its admins
        return not db.fetch_one("SELECT count(*) AS n FROM hubs")["n"]  # (db: a transaction too, in a row rule)
    return row["parent_id"] is None


NOT_OPERATOR_SETTING = ("这些规则对所有枢纽生效,只有最上级枢纽(没有上级枢纽的枢纽,如市级枢纽)的管理员可以修改;"
                        "请联系该枢纽的管理员。")


def _operator(ctx: RuleContext, before: dict | None, after: dict | None) -> None:
    if not operates(ctx.actor, ctx.db):
        raise PermissionDenied(NOT_OPERATOR_SETTING)


def operator_rule(says: str) -> Rule:
    """The row rule of a setting that holds for every hub (预警规则, 提醒规则): only the install's operator
    (:func:`operates`) writes it. Declare the entity with no write roles and this rule."""
    return Rule(says, actions=frozenset({"create", "update", "delete"}), roles=frozenset({"admin"}), check=_operator)


def audit_hubs(actor: Actor, db=None) -> tuple[int, ...] | None:
    """The hubs whose audit rows ``actor`` reads (:func:`core.platform.audit.query`): the operator every row (None:
    those of no hub too, such as backups and reminder rules), another admin the rows of writes to their hubs'
    records."""
    return None if operates(actor, db) else (actor.hubs or ())


def _own_hub(actor: Actor, user: dict) -> None:
    """An admin manages the accounts of their own hub (another hub's accounts: its own admin, or the top admin's
    枢纽网络 screen to move them)."""
    if not actor.writes(user.get("hub_id") if user.get("hub_id") is not None else DEFAULT_HUB):
        raise PermissionDenied(f"账号 {user['username']} 属于其他枢纽,只能由该枢纽的管理员修改。")


def credentials(db=None, *, username: str | None = None) -> dict:
    """The dict streamlit-authenticator expects; only active users can sign in (``username``: that account
    alone, as a sign-in needs)."""
    db = db or get_db()
    rows = db.fetch_all("SELECT username, name, email, password_hash, roles FROM users WHERE active"
                        + (" AND username = ?" if username is not None else ""),
                        [username] if username is not None else None)
    return {"usernames": {
        r["username"]: {"name": r["name"], "email": r["email"], "password": r["password_hash"],
                        "roles": list(r["roles"] or []), "first_name": r["name"], "last_name": ""}
        for r in rows
    }}


def active_roles(username: str, db=None) -> tuple[str, ...] | None:
    """The user's roles if the account exists and is active, else None."""
    db = db or get_db()
    row = db.fetch_one("SELECT roles, active FROM users WHERE username = ?", [username])
    if not row or not row["active"]:
        return None
    return tuple(r for r in ROLE_ORDER if r in (row["roles"] or []))


def _policy(password: str, username: str, field: str = "new", name: str = "") -> None:
    problems = passwords.problems(password, username, name=name)
    if problems:
        raise ValidationFailed(fields={field: problems})


def create(values: dict, actor: Actor, *, password: str | None = None, is_demo: bool = False, db=None,
           password_hash: str | None = None) -> tuple[str, str]:
    """Create an account; returns (username, the password to hand over once).

    ``password_hash``: a ready bcrypt hash of ``password``, stored instead of hashing it again (the demo
    data hashes its shared expert password once for many accounts).
    """
    db = db or get_db()
    record = validate(UserAccount, values)
    pw = password or passwords.generate()
    _policy(pw, record["username"], field="username")
    records.create(USER, record, actor, db=db, system={
        "password_hash": password_hash or passwords.hash_password(pw), "is_demo": is_demo,
        "created_at": datetime.now(),
        "hub_id": actor.hub_id,  # a new account belongs to its creator's hub (core.orgs.hubs.assign_user moves it)
    })
    return record["username"], pw


def _active_admins(db, excluding: str) -> int:
    """The other active admins of the hub ``excluding`` belongs to (every hub keeps one)."""
    return int(db.scalar(
        "SELECT count(*) FROM users WHERE active AND list_contains(roles, 'admin') AND username <> ?"
        " AND coalesce(hub_id, 1) = (SELECT coalesce(hub_id, 1) FROM users WHERE username = ?)", [excluding, excluding]
    ))


def update(username: str, values: dict, actor: Actor, db=None) -> bool:
    """Change name, email, roles or active; never leaves the hub without an active admin."""
    db = db or get_db()
    current = get(username, db)
    if current is None:
        raise NotFound(f"用户 {username} 不存在")
    _own_hub(actor, current)
    values = {k: v for k, v in values.items() if k != "username"}
    will_be_admin = "admin" in (values.get("roles", current["roles"]) or [])
    will_be_active = bool(values.get("active", current["active"]))
    if current["active"] and "admin" in (current["roles"] or []) and not (will_be_admin and will_be_active):
        with db.write_lock:  # count and change under the same lock
            if _active_admins(db, username) == 0:
                raise ValidationFailed(form=["不能停用或降级最后一个启用的管理员账号"])
            changed = records.update(USER, username, values, actor, db=db, touch={"updated_at": datetime.now()})
    else:
        changed = records.update(USER, username, values, actor, db=db, touch={"updated_at": datetime.now()})
    if changed and actor.username != username:  # disabled or roles changed: every session of the user ends
        # (an admin changing their own roles stays signed in: roles are read afresh on every run anyway)
        after = get(username, db)
        if not after["active"] and current["active"]:
            sessions.revoke_all(username, actor, "disabled", db=db)
        elif sorted(after["roles"] or []) != sorted(current["roles"] or []):
            sessions.revoke_all(username, actor, "roles_changed", db=db)
    return changed


def set_active(username: str, active: bool, actor: Actor, db=None) -> bool:
    return update(username, {"active": active}, actor, db=db)


def reset_password(username: str, actor: Actor, db=None) -> str:
    """Give the account a new random password; returns it (to show once)."""
    db = db or get_db()
    # an administrator's action: the owner's exemption in the write path (password_hash) is only for
    # change_own_password, which asks for the current password
    if not granted(actor, USER, "update"):
        raise PermissionDenied(f"当前账号无权修改{USER.label}")
    target = get(username, db)
    if target is None:
        raise NotFound(f"用户 {username} 不存在")
    _own_hub(actor, target)
    pw = passwords.generate()
    records.update(USER, username, {}, actor, db=db, action="reset_password",
                   system={"password_hash": passwords.hash_password(pw)}, touch={"updated_at": datetime.now()})
    sessions.revoke_all(username, actor, "password_reset", db=db)
    return pw


def change_own_password(username: str, values: dict, db=None, *, session_id: str | None = None) -> None:
    """The signed-in user changes their own password (current one required); every other session of the
    user ends (``session_id``, the one in use, stays)."""
    db = db or get_db()
    record = validate(PasswordChange, values)
    user = get(username, db)
    if user is None or not user["active"]:
        raise PermissionDenied("账号不存在或已停用")
    if not passwords.check(record["current"], user["password_hash"]):
        raise ValidationFailed(fields={"current": ["当前密码不正确"]})
    _policy(record["new"], username, name=user["name"] or "")
    records.update(USER, username, {}, Actor(username),  db=db, action="change_password",
                   system={"password_hash": passwords.hash_password(record["new"])},
                   touch={"updated_at": datetime.now()})
    sessions.revoke_all(username, Actor(username, tuple(user["roles"] or ())), "password_changed", keep=session_id,
                        db=db)
