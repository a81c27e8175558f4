"""盲评: what identifies an applicant organisation, and the one mask the reviewer's side puts over every
text it returns in a blind round.

An organisation is recognisable by more than its registered name: applicants write the name without its
region ("青葵儿童关爱服务中心"), its 字号 ("青葵"), the brand it runs ("青葵伙伴"), and the names of its
people (法定代表人, 联系人, the staff who sign in at trainings). :func:`names` collects them from the
registry, the brands of the organisation's projects and its training rosters; :func:`mask` replaces
each of them, longest first, in any string, list, dict or frame. Staff screens never call it.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from core.platform.db import get_db

ORG_MARK = "【申报组织】"
PERSON_MARK = "【相关人员】"

# 行政区划 at the front of a registered name: 杭州市, 钱塘区, 下沙街道 … (repeated; a 社区 only when it is
# one of the registry's communities: 和合社区发展服务中心 is named 和合)
_REGION = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:自治区|省|市|县|区|街道|镇|乡)")
# 组织形式 at the end (longest first)
_FORMS = ("社会工作服务中心", "社会工作服务社", "慈善基金会", "志愿服务队", "服务中心", "服务社", "服务队", "志愿队", "促进会",
          "联合会", "基金会", "工作室", "协会", "中心")
# 业务领域 words: what stands before the first of them (at the front of the stem) is the 字号
_FIELDS = ("儿童", "青少年", "老年", "居家", "养老", "残疾人", "心理", "社会工作", "社区", "公益", "法律", "环境", "便民",
           "志愿", "康复", "关爱", "发展", "成长", "咨询", "援助", "保护", "慈善", "教育", "文化", "体育", "调解",
           "互助", "服务", "家庭", "妇女", "助老", "助残")
# ordinary words that are never taken for a 字号 or a short name by themselves
_GENERIC = frozenset({
    "社会", "社区", "公益", "志愿", "志愿者", "家庭", "企业", "新居民", "老年", "邻里", "平安", "儿童", "青少年", "书法家",
    "文化", "发展", "慈善", "教育", "户外", "户外运动", "围棋", "居民", "街道", "妈妈", "退役军人", "残疾人",
    "社会工作者", "社区社会组织", "家庭教育", "企业公益", "新居民服务", "法律明白人", "楼道自治", "社区发展",
})


def short_names(name: str, communities: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The ways an organisation's registered ``name`` is shortened in writing, most specific first:
    without its region (青葵儿童关爱服务中心), without its form too (青葵儿童关爱), and its 字号 (青葵).
    ``communities``: the registry's community names (a prefix like 文海社区 is a place, not a name)."""
    out: list[str] = []
    core = name.strip()
    while True:
        m = _REGION.match(core)
        end = m.end() if m and not m.group(0).endswith("社区") else next((len(c) for c in communities if c and core.startswith(c)), 0)
        if not end or len(core) - end < 2:
            break
        core = core[end:]
    if core != name and len(core) >= 3 and core not in _GENERIC:
        out.append(core)
    stem = next((core[:-len(f)] for f in _FORMS if core.endswith(f) and len(core) > len(f)), core)
    head = next((stem[:i] for i in range(2, min(len(stem), 5)) if stem[i:].startswith(_FIELDS)), None)
    if head is None and stem != core and 2 <= len(stem) <= 4 and not stem.startswith(_FIELDS):
        head = stem  # the form follows the 字号 directly: 同心(社会工作服务中心), 暖阳(社会工作服务社)
    if stem != core and len(stem) >= 3 and stem not in _GENERIC and (head or not stem.endswith(_FIELDS)):
        out.append(stem)
    if head and head not in _GENERIC:
        out.append(head)
    return list(dict.fromkeys(out))


def names(org_id: int, db=None) -> dict[str, str]:
    """Every string that identifies the organisation ``org_id`` -> the mark that replaces it: the
    registered name and its short forms, the names of its brands (those of its projects, and any brand
    named after it), and its people (法定代表人, 联系人, its people on training rosters)."""
    return names_many([org_id], db).get(int(org_id), {})


def names_many(org_ids, db=None) -> dict[int, dict[str, str]]:
    """:func:`names` for several organisations at once (a few queries in all, e.g. for a task list)."""
    db = db or get_db()
    ids = sorted({int(i) for i in org_ids})
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    orgs = db.fetch_all(f"SELECT id, name, legal_rep, contact_person FROM organisations WHERE id IN ({marks})", ids)
    places = [r["name"] for r in db.fetch_all("SELECT name FROM communities ORDER BY length(name) DESC")]
    all_brands = [r["name"] for r in db.fetch_all("SELECT name FROM brands")]
    their_brands = db.fetch_all(
        "SELECT DISTINCT a.org_id, b.name FROM projects p JOIN applications a ON a.id = p.application_id"
        f" JOIN brands b ON b.id = p.brand_id WHERE a.org_id IN ({marks})", ids)
    rosters = db.fetch_all(f"SELECT DISTINCT org_id, person FROM training_attendance WHERE org_id IN ({marks})", ids)
    out: dict[int, dict[str, str]] = {}
    for org in orgs:
        oid = int(org["id"])
        own = [org["name"], *short_names(org["name"], places)]
        brands = {r["name"] for r in their_brands if int(r["org_id"]) == oid}
        brands |= {b for b in all_brands if any(s in b for s in own[1:])}
        people = {org["legal_rep"], org["contact_person"]} | {r["person"] for r in rosters if int(r["org_id"]) == oid}
        found = {n.strip(): ORG_MARK for n in [*own, *brands] if n and len(n.strip()) >= 2}
        found.update({p.strip(): PERSON_MARK for p in people if p and len(p.strip()) >= 2 and p.strip() not in found})
        out[oid] = found
    return out


def _pattern(found: dict[str, str]) -> re.Pattern | None:
    if not found:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted(found, key=len, reverse=True)))


def mask(value: Any, found: dict[str, str]) -> Any:
    """``value`` with every identifying string of ``found`` (see :func:`names`) replaced by its mark, the
    longest first: strings, and strings inside dicts, lists, tuples and DataFrames (recursively)."""
    pattern = _pattern(found)
    if pattern is None:
        return value

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return pattern.sub(lambda m: found[m.group(0)], v)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, tuple):
            return tuple(walk(x) for x in v)
        if isinstance(v, pd.DataFrame):
            return v.map(walk) if not v.empty else v
        return v

    return walk(value)
