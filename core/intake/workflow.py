"""The application workflow in one table: which role may move an application from which state to
which. Every move is checked here, written with its event row and audited, all in one transaction.

    draft -> submitted -> screening -> (returned -> resubmitted -> screening) -> eligible | ineligible
    eligible -> under_review -> reviewed -> (re_review -> reviewed) -> recommended | not_recommended
    recommended | not_recommended -> re_review (a 分差 flag found late; refused once the scores are signed off)
    recommended -> public_notice -> funded | rejected;  not_recommended -> rejected
    withdrawn from any state before funded
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.intake import scope
from core.platform import formats, records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import HubError, NotFound, PermissionDenied
from schemas.choices import APP_STATES
from schemas.columns import columns
from schemas.stored import ApplicationEvent

STAFF = ("admin", "staff")
ADMIN = ("admin",)

FINAL = frozenset({"funded", "rejected", "withdrawn", "ineligible"})


class MoveRefused(HubError):
    """An illegal or unauthorised move; nothing was changed."""


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: tuple[str, ...]
    label: str  # the action as staff see it


TRANSITIONS: tuple[Transition, ...] = (
    Transition("draft", "submitted", STAFF, "提交申报"),
    Transition("submitted", "screening", STAFF, "开始资格审查"),
    Transition("screening", "eligible", STAFF, "审查合格"),
    Transition("screening", "ineligible", STAFF, "审查不合格"),
    Transition("screening", "returned", STAFF, "退回补充材料"),
    Transition("returned", "resubmitted", STAFF, "补充材料后重新提交"),
    Transition("resubmitted", "screening", STAFF, "重新审查"),
    Transition("returned", "ineligible", STAFF, "逾期未补充,审查不合格"),
    Transition("eligible", "under_review", STAFF, "送专家评审"),
    Transition("under_review", "reviewed", STAFF, "评审完成"),
    Transition("reviewed", "re_review", STAFF, "送复评"),
    Transition("re_review", "reviewed", STAFF, "复评完成"),
    Transition("recommended", "re_review", STAFF, "送复评"),
    Transition("not_recommended", "re_review", STAFF, "送复评"),
    Transition("reviewed", "recommended", STAFF, "列入推荐"),
    Transition("reviewed", "not_recommended", STAFF, "不予推荐"),
    Transition("recommended", "public_notice", ADMIN, "决定资助并公示"),
    Transition("recommended", "rejected", ADMIN, "决定不予资助"),
    Transition("not_recommended", "rejected", ADMIN, "确认不予资助"),
    Transition("public_notice", "funded", ADMIN, "公示期满,确认立项"),
    Transition("public_notice", "rejected", ADMIN, "因异议成立取消资助"),
) + tuple(
    Transition(s, "withdrawn", STAFF, "撤回") for s in APP_STATES if s not in FINAL
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

EVENT = register(Entity(
    name="application_event", table="application_events", label="申报流转记录", write_roles=frozenset(STAFF),
    title_field="to_state", schema=ApplicationEvent, hub_via=scope.VIA_APPLICATION,
))


def state_label(state: str) -> str:
    return APP_STATES.get(state, state)


def transition(source: str, target: str) -> Transition | None:
    return _BY_PAIR.get((source, target))


def moves_from(state: str, roles) -> list[Transition]:
    """The moves a user with ``roles`` may make from ``state``."""
    roles = set(roles or ())
    return [t for t in TRANSITIONS if t.source == state and roles & set(t.roles)]


def check(source: str, target: str, actor: Actor) -> Transition:
    """The transition, or MoveRefused with a Chinese reason."""
    t = transition(source, target)
    if t is None:
        raise MoveRefused(f"流程不允许从「{state_label(source)}」直接转为「{state_label(target)}」")
    if not actor.has(*t.roles, "system"):
        raise PermissionDenied(f"您的角色无权执行「{t.label}」")
    return t


RE_REVIEW_LOCKED = "本批次评分已签字锁定,专家不能再评分:请先由管理员写明原因解锁评分,再送复评"


def _scores_open(u: records.Unit, app: dict) -> None:
    """复评 needs experts who can score: refused while the round's scores are signed off."""
    row = u.tx.fetch_one("SELECT scores_locked_at FROM rounds WHERE id = ?", [app.get("round_id")])
    if row is not None and row["scores_locked_at"] is not None:
        raise MoveRefused(RE_REVIEW_LOCKED)


def move_in(u: records.Unit, entity: Entity, app_id: int, target: str, *, note: str | None = None,
            system: dict | None = None, guard: Callable[[dict], None] | None = None) -> dict:
    """Move inside an open unit: re-read the state under the lock, check, update, log the event."""
    app = u.fetch(entity, app_id)
    if app is None:
        raise NotFound(f"申报项目(编号 {app_id})不存在")
    t = check(app["state"], target, u.actor)
    if target == "re_review":
        _scores_open(u, app)
    if guard is not None:
        guard(app)
    u.update(entity, app_id, {}, system={"state": target, **(system or {})}, action="move", note=note or t.label)
    u.create(EVENT, {"application_id": app_id, "from_state": app["state"], "to_state": target, "note": note or t.label},
             validated=True, note=t.label)
    return app


def move(entity: Entity, app_id: int, target: str, actor: Actor, *, note: str | None = None,
         system: dict | None = None, guard: Callable[[dict], None] | None = None, db=None) -> None:
    with records.unit(actor, db) as u:
        move_in(u, entity, app_id, target, note=note, system=system, guard=guard)


# the columns of :func:`timeline` (who by 姓名, the states in words)
TIMELINE_COLUMNS = columns("created_at", "created_by", "from_state", "to_state", "note", computed={
    "created_at": "时间", "created_by": "操作人", "from_state": "从", "to_state": "到"})


def timeline(app_id: int, db=None):
    """The moves of an application as people read them: the time, who by 姓名 (the account name when
    the account is gone), the states in words, the note; empty values as "—"."""
    db = db or get_db()
    scope.require("application", app_id, db=db)
    return db.fetch_df(
        "SELECT e.created_at,"
        " coalesce(u.name, CASE e.created_by WHEN 'system' THEN '系统' ELSE e.created_by END) AS created_by,"
        " e.from_state, e.to_state, e.note FROM application_events e LEFT JOIN users u ON u.username = e.created_by"
        " WHERE e.application_id = ? ORDER BY e.id", [app_id]
    ).assign(
        created_at=lambda d: d["created_at"].map(formats.date).astype(object),
        created_by=lambda d: d["created_by"].map(formats.text).astype(object),
        from_state=lambda d: d["from_state"].map(lambda s: state_label(s) if isinstance(s, str) else "—"),
        to_state=lambda d: d["to_state"].map(state_label),
        note=lambda d: d["note"].map(formats.text).astype(object),
    )[list(TIMELINE_COLUMNS)].rename(columns=TIMELINE_COLUMNS)
