"""Choice lists used by schemas: fixed ones here, configurable ones from providers registered by core.

A schema names a list by its *source* (``"communities"``); the form engine shows the list and the
``in_choices``/``subset_of`` checks validate against the same list, so they can never disagree.
"""
from __future__ import annotations

from typing import Callable

ORG_KINDS = ["社会团体", "社会服务机构", "基金会", "社区社会组织(备案)"]
REGISTERED_KINDS = ORG_KINDS[:3]
FILED_KIND = ORG_KINDS[3]
# GB 32100-2015 positions 1-2 for organisations registered with 民政 (authority 5)
USCC_KIND_PREFIX = {"社会团体": "51", "社会服务机构": "52", "基金会": "53"}

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

STATIC: dict[str, list[str]] = {
    "org_kinds": ORG_KINDS,
    "stages": STAGES,
    "ratings": RATINGS,
    "service_domains": SERVICE_DOMAINS,
    "roles": list(ROLES),
}

_providers: dict[str, Callable[[], list[str]]] = {}


def register_provider(source: str, provider: Callable[[], list[str]]) -> None:
    """Let core supply a list that lives in the database (e.g. ``communities``)."""
    _providers[source] = provider


def get(source: str) -> list[str]:
    if source in _providers:
        return list(_providers[source]())
    if source in STATIC:
        return list(STATIC[source])
    raise KeyError(f"unknown choice list: {source}")


def label(source: str, value: str) -> str:
    """Display text for a stored value (roles show their Chinese name)."""
    if source == "roles":
        return ROLES.get(value, value)
    return value


def known_sources() -> set[str]:
    return set(STATIC) | set(_providers)
