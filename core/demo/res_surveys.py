"""Demo 居民满意度调查 (issue 18): the standard questionnaire, and for every finished (closed) project 15–40 residents'
responses dated in the project's last two months, from its communities, with a 满意率 (1–5 answers of 4–5) between
about 85% and 98% — the paper forms the hub collects at the end of a project, typed in. Projects of the 一老一小 and
弱势群体 categories name their respondents' group. Deterministic (one seed, projects in id order); written through the
write path in batches; a second run adds nothing (a project that has responses is left as it is). The projects'
demo evaluations stay as they are."""
from __future__ import annotations

import datetime as dt
import random

from core.platform.actor import SYSTEM, Actor
from core.platform import records
from core.resources import surveys
from schemas.survey import NO, SATISFIED_FROM, SCALE, YES, YESNO, answer_field

SEED = 1818
RESPONSES = (15, 40)        # per closed project
SATISFIED = (0.85, 0.98)    # a project's share of 4–5 answers lies in this range (drawn again until it does)
# residents rate the staff's attitude best and the venues least (added to the project's target, per category)
CATEGORY_SHIFT = {"服务态度": 0.03, "服务内容": 0.0, "服务效果": -0.01, "环境与组织": -0.04, "总体评价": 0.01}
COMMENT_SHARE = 0.3         # respondents who write a suggestion
GROUPS = {"一老一小": ["一老一小", "老年人", "儿童青少年"], "弱势群体关爱": ["困境儿童", "低收入家庭"],
          "特殊人群帮扶": ["残障人士", "计生家庭"]}
COMMENTS = ("希望活动能多办几次", "老师很耐心,孩子很喜欢", "希望时间安排在周末", "场地有点小,人多的时候挤",
            "服务很贴心,感谢社工", "希望项目明年继续做", "通知能不能早一点发", "希望增加上门服务",
            "活动内容很实用", "建议多邀请年轻人参加")


def _answer(rng: random.Random, kind: str, target: float):
    if kind == SCALE:
        if rng.random() < target:
            return 5 if rng.random() < 0.6 else 4
        return rng.choices((3, 2, 1), weights=(8, 2, 1))[0]
    if kind == YESNO:
        return YES if rng.random() < min(0.99, target + 0.02) else NO
    return rng.choice(COMMENTS) if rng.random() < COMMENT_SHARE else None


def load(db, actor: Actor = SYSTEM, *, today: dt.date | None = None) -> dict[str, int]:
    today = today or dt.date.today()
    rng = random.Random(SEED)
    sid = surveys.ensure_standard(actor, db)
    qs = surveys.questions(sid, db)
    done = {r["project_id"] for r in db.fetch_all("SELECT DISTINCT project_id FROM survey_responses")}
    closed = db.fetch_all(
        "SELECT p.id, p.communities, p.start_date, p.end_date, a.category FROM projects p"
        " JOIN applications a ON a.id = p.application_id WHERE p.state = 'closed' ORDER BY p.id")
    written = answers = 0
    todo = []  # (project, its responses) not yet stored
    for p in closed:
        n = rng.randint(*RESPONSES)
        last = min(p["end_date"], today)
        first = max(p["start_date"], last - dt.timedelta(days=60))
        span = max(0, (last - first).days)
        communities = list(p["communities"] or []) or ["文海社区"]
        groups = GROUPS.get(p["category"])
        for _attempt in range(50):  # drawn for every project (deterministic), until its share is in range
            target = rng.uniform(SATISFIED[0] + 0.02, SATISFIED[1] - 0.02)
            rows = []
            for _ in range(n):
                row = {"response_date": first + dt.timedelta(days=rng.randint(0, span)),
                       "community": rng.choice(communities),
                       "respondent_group": rng.choice(groups) if groups and rng.random() < 0.8 else None}
                for q in qs:
                    shift = CATEGORY_SHIFT.get(q["category"], 0.0)
                    row[answer_field(q["id"])] = _answer(rng, q["kind"], min(0.995, target + shift))
                rows.append(row)
            scores = [r[answer_field(q["id"])] for r in rows for q in qs if q["kind"] == SCALE]
            if SATISFIED[0] <= sum(1 for v in scores if v >= SATISFIED_FROM) / len(scores) <= SATISFIED[1]:
                break
        if p["id"] not in done:
            todo.append((p["id"], rows))
    if todo:
        with records.unit(actor, db) as u:  # one transaction and one audit batch for every project's answers
            for pid, rows in todo:
                surveys.write_responses(u, pid, sid, qs, rows, surveys.IMPORTED)
                written += len(rows)
                answers += sum(1 for r in rows for q in qs if r[answer_field(q["id"])] is not None)
    return {"survey_responses": written, "survey_answers": answers}
