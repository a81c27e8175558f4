"""Choice lists used by schemas: fixed ones here, configurable ones from providers registered by core.

A schema names a list by its *source* (``"communities"``); the form engine shows the list and the
``in_choices``/``subset_of`` checks validate against the same list, so they can never disagree.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Mapping

# GB 32100-2015 positions 1-2 of the 统一社会信用代码 of an organisation registered with 民政 (registering
# authority 5): category 1 社会团体, 2 民办非企业单位 (now 社会服务机构), 3 基金会, 9 其他 (其他社会组织).
# The standard defines no other 民政 category, so every code with a 民政 category has a kind here.
USCC_KIND_PREFIX = {"社会团体": "51", "社会服务机构": "52", "基金会": "53", "其他社会组织": "59"}
REGISTERED_KINDS = list(USCC_KIND_PREFIX)
FILED_KIND = "社区社会组织(备案)"  # filed with the community only: no 统一社会信用代码, a filing number
ORG_KINDS = [*REGISTERED_KINDS, FILED_KIND]

STAGES = ["零基础筹备期", "初创期", "成长期", "成熟期"]
RATINGS = ["1A", "2A", "3A", "4A", "5A"]
SERVICE_DOMAINS = [
    "社区治理", "文化建设", "弱势群体关爱", "公共服务", "一老一小", "特殊人群帮扶", "共同富裕",
    "志愿服务", "文化体育", "法律服务", "心理健康", "环境保护",
]
ROLES = {"admin": "管理员", "staff": "中心工作人员", "reviewer": "评审专家", "leader": "领导"}

# The 21 communities of the demo (configurable in the database table ``communities``).
DEMO_COMMUNITIES = [
    "文海社区", "高沙社区", "下沙社区", "金沙湖社区", "景苑社区", "听涛社区", "文汇社区",
    "云水社区", "东方社区", "月雅社区", "海达社区", "幸福社区", "湾南社区", "元成社区",
    "新元社区", "松合社区", "和达社区", "金港社区", "白杨社区", "春晓社区", "观澜社区",
]

PROJECT_CATEGORIES = ["社区治理", "文化建设", "弱势群体关爱", "公共服务", "一老一小", "特殊人群帮扶", "共同富裕"]
IDEA_SOURCES = ["居民", "社区", "社会组织", "企业"]
DEFAULT_CHECKLIST = ["登记/备案有效", "无不良记录", "预算不超上限", "配套资金说明"]
BUDGET_LINES = {"budget_personnel": "人员", "budget_materials": "物资", "budget_venue": "场地",
                "budget_publicity": "宣传", "budget_other": "其他"}
APP_STATES = {
    "draft": "草稿", "submitted": "已提交", "screening": "资格审查中", "returned": "退回补充材料",
    "resubmitted": "补充后重新提交", "eligible": "审查合格", "ineligible": "审查不合格", "under_review": "专家评审中",
    "reviewed": "评审完成", "re_review": "复评中", "recommended": "推荐立项", "not_recommended": "不推荐",
    "public_notice": "公示中", "funded": "已立项资助", "rejected": "未获资助", "withdrawn": "已撤回",
}

SCREENING_OUTCOMES = {"eligible": "审查合格", "ineligible": "审查不合格", "returned": "退回补充材料(仅一次)"}

MENTOR_SPECIALITIES = ["公益领域专家", "资深项目管理者", "财务合规顾问"]
MENTORING_MODULES = ["项目策划设计", "执行流程管控", "财务规范管理", "风险预警防控"]
MENTORING_FORMS = ["面谈", "线上", "现场"]
TRAINING_KINDS = ["线上课程", "线下培训", "专题讲座", "实操工作坊", "外出交流学习"]
TRAINING_TOPICS = ["公益管理", "项目设计", "法律合规", "财税管理", "品牌传播", "志愿者管理", "资源动员", "数字化运营"]
CAPABILITY_DIMENSIONS = ["内部治理", "项目管理", "财务管理", "人力资源", "品牌传播", "资源动员", "服务成效"]
INCUBATION_CRITERIA = {
    "入壳": ["有明确的服务领域和对象", "有稳定的核心成员(3人以上)", "有初步的项目设想", "承诺参加孵化培训"],
    "出壳": ["完成登记或备案", "内部治理制度健全", "独立运作至少一个项目", "能力评估总分达到60分"],
}

# 能力评估的评估期: a choice of defined periods, each spelt one way ("2026年上半年"), generated from years, so
# one period is one cohort (median, trend). Earlier free text ("2026下半年") is rewritten by migration 009.
PERIOD_KINDS = ("上半年", "下半年", "年度", "第一季度", "第二季度", "第三季度", "第四季度")
FIRST_PERIOD_YEAR = 2015
_PERIOD_ANNUAL = re.compile(r"^((?:19|20)\d{2})年?(?:年度|全年)$")
_PERIOD_PART = re.compile(r"^((?:19|20)\d{2})年?(上半年|下半年|第[一二三四]季度)$")


def period_label(year: int, kind: str) -> str:
    """2026, 上半年 -> "2026年上半年"; 2026, 年度 -> "2026年度"."""
    return f"{year}年度" if kind == "年度" else f"{year}年{kind}"


def assessment_periods(today: dt.date | None = None) -> list[str]:
    """Every period an assessment may name, the latest year first (from FIRST_PERIOD_YEAR to next year)."""
    last = (today or dt.date.today()).year + 1
    return [period_label(y, k) for y in range(last, FIRST_PERIOD_YEAR - 1, -1) for k in PERIOD_KINDS]


def half_year_of(day: dt.date) -> str:
    """The half-year ``day`` falls in: 2026-03-01 -> "2026年上半年"."""
    return period_label(day.year, "上半年" if day.month <= 6 else "下半年")


def canonical_period(value):
    """The one spelling of a period written another way ("2026下半年", "2026 年 下半年" -> "2026年下半年");
    anything else is returned unchanged (and refused by the choice check)."""
    if not isinstance(value, str):
        return value
    text = re.sub(r"[\s\u3000]+", "", value)
    m = _PERIOD_ANNUAL.match(text)
    if m:
        return period_label(int(m.group(1)), "年度")
    m = _PERIOD_PART.match(text)
    if m:
        return period_label(int(m.group(1)), m.group(2))
    return value.strip()


# 动态监管 (labels of stored codes live here too, so forms, imports and lists agree)
BRAND_TIERS = ["核心品牌", "特色品牌"]
ACTIVITY_KINDS = ["上门服务", "小组活动", "社区活动", "讲座培训", "咨询服务", "志愿服务", "走访慰问", "其他"]
EVALUATION_METHODS = ["电话", "资料", "实地"]
FAIL_ACTIONS = {"stop": "停止拨付", "terminate": "终止项目并追回资金"}
GRADES = ["A", "B", "C"]

# 资源与需求 · 需求 (core.resources.needs): 需求调研 results and their status over time
NEED_SOURCES = ["问卷调查", "入户走访", "社区议事", "其他"]
NEED_GROUPS = ["一老一小", "老年人", "儿童青少年", "困境儿童", "残障人士", "计生家庭", "新居民", "低收入家庭",
               "就业困难人员", "全体居民", "其他"]
NEED_URGENCIES = ["紧急", "较急", "一般"]
NEED_STATUSES = ["登记", "已对接", "部分满足", "已满足", "暂缓"]
NEED_LINK_KINDS = {"idea": "金点子", "application": "申报项目", "project": "资助项目"}

STATIC: dict[str, list[str]] = {
    "brand_tiers": BRAND_TIERS,
    "activity_kinds": ACTIVITY_KINDS,
    "evaluation_methods": EVALUATION_METHODS,
    "fail_actions": list(FAIL_ACTIONS),
    "grades": GRADES,
    "need_sources": NEED_SOURCES,
    "need_groups": NEED_GROUPS,
    "need_urgencies": NEED_URGENCIES,
    "need_statuses": NEED_STATUSES,
    "need_link_kinds": list(NEED_LINK_KINDS),
    "budget_lines": list(BUDGET_LINES),
    "mentor_specialities": MENTOR_SPECIALITIES,
    "mentoring_modules": MENTORING_MODULES,
    "mentoring_forms": MENTORING_FORMS,
    "training_kinds": TRAINING_KINDS,
    "training_topics": TRAINING_TOPICS,
    "capability_dimensions": CAPABILITY_DIMENSIONS,
    "assessment_periods": assessment_periods(),
    "incubation_kinds": ["入壳", "出壳"],
    "incubation_criteria": sorted({c for v in INCUBATION_CRITERIA.values() for c in v}),
    "entry_criteria": INCUBATION_CRITERIA["入壳"],
    "exit_criteria": INCUBATION_CRITERIA["出壳"],
    "screening_outcomes": list(SCREENING_OUTCOMES),
    "project_categories": PROJECT_CATEGORIES,
    "idea_sources": IDEA_SOURCES,
    "app_states": list(APP_STATES),
    "decisions": ["资助", "不予资助"],
    "recommendations": ["推荐", "可推荐", "不推荐"],
    "relations": ["理事", "顾问", "员工", "志愿者"],
    "org_kinds": ORG_KINDS,
    "stages": STAGES,
    "ratings": RATINGS,
    "service_domains": SERVICE_DOMAINS,
    "roles": list(ROLES),
}

_providers: dict[str, Callable[[], list]] = {}
_labelers: dict[str, Callable[[object], str]] = {}
_tables: dict[str, Callable[[], Mapping]] = {}


def register_provider(source: str, provider: Callable[[], list], labeler: Callable[[object], str] | None = None,
                      table: Callable[[], Mapping] | None = None) -> None:
    """Let core supply a list that lives in the database (e.g. ``communities``, organisation ids).

    ``labeler`` turns a stored value (e.g. an id) into the text a person reads; ``table``, where there is one, gives
    every value's text at once (``{value: text}``, what ``labeler`` looks up), for :func:`formatter`.
    """
    _providers[source] = provider
    if labeler is not None:
        _labelers[source] = labeler
    if table is not None:
        _tables[source] = table


def formatter(source: str) -> Callable[[object], str]:
    """:func:`label` for many values of one list (a picker's ``format_func``): the list's texts are looked up once
    here, not once per value (a picker of 7,600 projects called the database's version check 7,600 times per run)."""
    if source in _tables:
        texts = _tables[source]()
        return lambda value: texts.get(value, str(value))
    return lambda value: label(source, value)


def get(source: str) -> list[str]:
    if source in _providers:
        return list(_providers[source]())
    if source in STATIC:
        return list(STATIC[source])
    raise KeyError(f"unknown choice list: {source}")


_sets: dict[str, tuple[object, frozenset]] = {}


def allowed(source: str) -> frozenset:
    """The values of ``source`` as a set, for membership checks (a check runs per value: 500 imported rows
    against 6,000 organisations). Kept while the provider returns the same list object (a database list is
    read again only after its table is written, :func:`core.platform.lookups.id_names`)."""
    values = _providers[source]() if source in _providers else STATIC.get(source)
    if values is None:
        raise KeyError(f"unknown choice list: {source}")
    hit = _sets.get(source)
    if hit is not None and hit[0] is values:
        return hit[1]
    out = frozenset(values)
    _sets[source] = (values, out)
    return out


def label(source: str, value: str) -> str:
    """Display text for a stored value (roles show their Chinese name)."""
    if source in _labelers:
        return _labelers[source](value)
    if source == "roles":
        return ROLES.get(value, value)
    if source == "app_states":
        return APP_STATES.get(value, value)
    if source == "budget_lines":
        return BUDGET_LINES.get(value, value)
    if source == "fail_actions":
        return FAIL_ACTIONS.get(value, value)
    if source == "need_link_kinds":
        return NEED_LINK_KINDS.get(value, value)
    if source == "screening_outcomes":
        return SCREENING_OUTCOMES.get(value, value)
    return value if isinstance(value, str) else str(value)


def known_sources() -> set[str]:
    return set(STATIC) | set(_providers)
