"""The one choice-list loader (``core.platform.lookups.id_names``): a list that lives in the database is read once,
and again only after a write to one of its tables; its values and the text each reads as follow that write.
Every database-backed choice list of the domain is declared through it."""
from __future__ import annotations

import pytest

from core.intake import rounds
from core.orgs import organisations
from core.platform import lookups
from schemas import choices
from tests.test_rounds import ADMIN, make_org, make_round

SQL = "SELECT id, name, active FROM organisations ORDER BY name"


@pytest.fixture
def loads(db):
    """Declare ``test:orgs`` (active organisations offered, every one labelled); the ids each label call read
    (with one organisation stored, one call per load of the rows)."""
    seen: list[int] = []

    def label(row) -> str:
        seen.append(row["id"])
        return row["name"] + ("" if row["active"] else "(已注销)")

    lookups.id_names("test:orgs", ("organisations",), SQL, label, offered=lambda row: row["active"])
    return seen


def test_list_and_label_follow_a_write_to_the_table(loads):
    assert choices.get("test:orgs") == []
    first = make_org(1)
    assert choices.get("test:orgs") == [first]
    assert choices.label("test:orgs", first) == "下沙街道测试社会组织第1号"

    organisations.update(first, {"name": "下沙街道改名后的社会组织"}, ADMIN)
    assert choices.label("test:orgs", first) == "下沙街道改名后的社会组织"

    second = make_org(2)
    assert choices.get("test:orgs") == [first, second]  # ORDER BY name: 改名后 < 测试

    organisations.update(first, {"active": False}, ADMIN)  # not offered any more, still read by name
    assert choices.get("test:orgs") == [second]
    assert choices.label("test:orgs", first) == "下沙街道改名后的社会组织(已注销)"
    assert choices.label("test:orgs", 999) == "999"  # a value no row has reads as itself


def test_rows_are_read_again_only_after_a_write_to_the_table(loads):
    org = make_org(1)
    choices.get("test:orgs")
    reads = len(loads)
    for _ in range(3):
        choices.get("test:orgs")
        choices.label("test:orgs", org)
    assert len(loads) == reads  # cached: no write since

    make_round()  # a write to another table keeps the cache
    choices.get("test:orgs")
    assert len(loads) == reads

    organisations.update(org, {"contact_person": "李四"}, ADMIN)  # a write to the table clears it
    choices.get("test:orgs")
    assert len(loads) == reads + 1


def test_domain_lists_follow_writes(db):
    from core import domain

    domain.install_providers()
    rid = make_round()
    org = make_org(1)
    assert rid in choices.get("rounds") and org in choices.get("orgs")
    name = rounds.get(rid)["name"]
    assert choices.label("rounds", rid) == name and name in choices.get("round_names")

    rounds.update(rid, {"name": "2026年下沙街道公益创投(改名)"}, ADMIN)
    assert choices.label("rounds", rid) == "2026年下沙街道公益创投(改名)"
    assert choices.get("round_names")[0] == "2026年下沙街道公益创投(改名)"
    organisations.update(org, {"active": False}, ADMIN)
    assert choices.label("orgs", org).endswith("(已注销)")


DB_LISTS = ("orgs", "rounds", "notice_applications", "round_names", "reviewers", "trainings", "mentors", "pairings",
            "brands", "brand_names", "active_projects", "projects", "communities")


@pytest.mark.parametrize("source", DB_LISTS)
def test_every_database_list_is_declared_through_id_names(db, source):
    """One loader: the lists the domain keeps in the database are all declared by ``lookups.id_names``."""
    from core import domain

    domain.install_providers()
    provider = choices._providers[source]
    assert provider.__module__ == "core.platform.lookups" and "id_names" in provider.__qualname__, source


def test_formatter_reads_the_lists_texts_once_and_says_what_label_says(db, loads):
    """A picker's ``format_func`` (choices.formatter): the same text as ``choices.label`` for every value, an unknown
    value as itself; the rows read once for the whole list, not per value, and again after a write."""
    a = make_org(1, name="甲社工服务社")
    b = make_org(2, name="乙公益服务中心")
    organisations.update(b, {"active": False}, ADMIN)
    loads.clear()
    fmt = choices.formatter("test:orgs")
    shown = [fmt(v) for v in (a, b, a, b, 999_999)]
    assert shown == ["甲社工服务社", "乙公益服务中心(已注销)", "甲社工服务社", "乙公益服务中心(已注销)", "999999"]
    assert shown[:2] == [choices.label("test:orgs", a), choices.label("test:orgs", b)]
    assert len(loads) <= 2  # one read of the rows (two labels), whatever the number of values formatted
    organisations.update(a, {"name": "甲社工服务社(更名)"}, ADMIN)
    assert choices.formatter("test:orgs")(a) == "甲社工服务社(更名)"
    static = choices.formatter("roles")  # a list without a table: label per value, as before
    assert static("leader") == choices.label("roles", "leader")
