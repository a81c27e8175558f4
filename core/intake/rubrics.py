"""评分细则: each round's rubric (criteria with a maximum, a weight and guidance); frozen once the
first review of the round is submitted."""
from __future__ import annotations

from core.intake import scope
from core.platform import records
from core.platform.actor import Actor
from core.platform.db import get_db
from core.platform.entities import Entity, register
from core.platform.errors import NotFound, ValidationFailed
from core.platform.formats import EMPTY, is_empty, number
from core.platform.validation import validate_many
from schemas.review import DEFAULT_RUBRIC, Criterion

CRITERION = register(Entity(
    name="criterion", table="rubric_criteria", label="评分项", schema=Criterion, write_roles=frozenset({"admin", "staff"}),
    title_field="name", hub_via=scope.VIA_ROUND,
))


def criteria(round_id: int, db=None) -> list[dict]:
    db = db or get_db()
    return db.fetch_all("SELECT id, seq, name, max_score, weight, guidance FROM rubric_criteria"
                        " WHERE round_id = ? ORDER BY seq, id", [round_id])


def default_rows() -> list[dict]:
    return [{"name": n, "max_score": float(m), "weight": float(m), "guidance": g} for n, m, g in DEFAULT_RUBRIC]


def is_frozen(round_id: int, db=None) -> bool:
    """Frozen once any review of the round has been submitted (a reopened one still counts: its
    scores were given against this rubric)."""
    db = db or get_db()
    return bool(db.fetch_one(
        "SELECT count(*) AS n FROM reviews r JOIN applications a ON a.id = r.application_id"
        " WHERE a.round_id = ? AND (r.submitted_at IS NOT NULL OR r.reopened_reason IS NOT NULL)", [round_id])["n"])


def score_text(value, empty: str = EMPTY) -> str:
    """A total or a mean on the 100-point scale as a reader sees it: always two decimals ("82.40"), the
    same on every screen and message; empty values as "—" (never None / nan)."""
    return empty if _empty(value) else f"{float(value):.2f}"


def points(value, empty: str = EMPTY) -> str:
    """One criterion's score as given: "16", "7.5" (never "16.0")."""
    return empty if _empty(value) else number(value, empty)


def _empty(value) -> bool:
    # core.platform.formats.is_empty does not see pandas' NA (its truth value raises): checked by type here
    return is_empty(value) or type(value).__name__ in ("NAType", "NaTType")


def weighted_total(scores: dict[int, float], crit: list[dict]) -> float | None:
    """Weighted total on 100: sum(weight * score / max) / sum(weight) * 100; None if any score is missing."""
    if not crit or any(scores.get(c["id"]) is None for c in crit):
        return None
    weights = sum(float(c["weight"]) for c in crit)
    value = sum(float(c["weight"]) * float(scores[c["id"]]) / float(c["max_score"]) for c in crit) / weights * 100
    return round(value, 2)


def set_rubric(round_id: int, rows: list[dict], actor: Actor, db=None) -> None:
    """Replace the round's rubric. The maxima must sum to the rubric's total; refused once frozen."""
    db = db or get_db()
    # the round's one figure this needs, read here: core.intake.rounds sits above this module (a new round gets the
    # default rubric)
    rnd = db.fetch_one("SELECT rubric_total FROM rounds WHERE id = ?", [round_id])
    if rnd is None:
        raise NotFound(f"创投批次(编号 {round_id})不存在")
    if is_frozen(round_id, db):
        raise ValidationFailed(form=["已有专家提交评分,评分细则已冻结,不能再修改"])
    rows = [r for r in rows if any(v not in (None, "") for v in r.values())]
    valid, errors = validate_many(Criterion, rows)
    if errors:
        raise ValidationFailed(fields={"criteria": [f"第{e.row + 1}行:{e.message}" for e in errors]})
    clean = [valid[i] for i in range(len(rows))]
    if not clean:
        raise ValidationFailed(fields={"criteria": ["至少需要一个评分项"]})
    names = [c["name"] for c in clean]
    if len(set(names)) != len(names):
        raise ValidationFailed(fields={"criteria": ["评分项名称不能重复"]})
    total = float(rnd.get("rubric_total") or 100)
    got = sum(float(c["max_score"]) for c in clean)
    if abs(got - total) > 1e-6:
        raise ValidationFailed(fields={"criteria": [f"各评分项满分之和须为{total:g}分,当前为{got:g}分"]})
    with records.unit(actor, db) as u:
        if is_frozen(round_id, u.tx):  # again under the write lock: a first submission may just have landed
            raise ValidationFailed(form=["已有专家提交评分,评分细则已冻结,不能再修改"])
        for old in criteria(round_id, u.tx):
            u.delete(CRITERION, old["id"])
        for seq, c in enumerate(clean, start=1):
            u.create(CRITERION, c, validated=True, system={"round_id": round_id, "seq": seq})


def ensure_default(round_id: int, actor: Actor, db=None) -> bool:
    """Give a round the default 100-point rubric if it has none."""
    if criteria(round_id, db):
        return False
    set_rubric(round_id, default_rows(), actor, db=db)
    return True
