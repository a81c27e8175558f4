"""The demo organisations: valid against the schema, at the seed's scale, loaded through the audited path."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from stdnum.cn import uscc as _uscc

from core.demo import orgs as demo_orgs
from core.orgs import communities
from core.platform.db import close_all, get_db
from core.platform.validation import validate_many
from schemas import choices
from schemas.organisation import Organisation

TODAY = dt.date(2026, 3, 15)


@pytest.fixture
def static_communities(monkeypatch):
    monkeypatch.setitem(choices._providers, "communities", lambda: list(choices.DEMO_COMMUNITIES))


@pytest.fixture
def db(tmp_path, monkeypatch):
    database = get_db(tmp_path / "t.duckdb")
    # validate communities against this temporary database, not the configured one
    monkeypatch.setitem(choices._providers, "communities", lambda: communities.names(database))
    yield database
    close_all()


@pytest.fixture(scope="module")
def rows():
    return demo_orgs.organisation_rows(seed=2018, today=TODAY)


def test_every_row_is_valid(rows, static_communities):
    valid, errors = validate_many(Organisation, rows)
    assert errors == []
    assert len(valid) == len(rows)


def test_default_today_rows_are_valid(static_communities):
    rows = demo_orgs.organisation_rows()
    valid, errors = validate_many(Organisation, rows)
    assert errors == []


def test_scale_and_mix(rows):
    assert 50 <= len(rows) <= 60
    assert {r["community"] for r in rows} == set(choices.DEMO_COMMUNITIES)
    ratings = Counter(r["rating"] for r in rows)
    assert ratings["4A"] == 3 and ratings["3A"] == 10 and ratings["5A"] == 0
    assert 1 <= ratings["1A"] + ratings["2A"] <= 6
    kinds = Counter(r["kind"] for r in rows)
    assert kinds[choices.FILED_KIND] > len(rows) / 2
    assert kinds["社会团体"] and kinds["社会服务机构"] and kinds["基金会"]
    stages = Counter(r["stage"] for r in rows)
    assert stages["初创期"] + stages["成长期"] > len(rows) * 0.7
    assert stages["零基础筹备期"] >= 1 and stages["成熟期"] >= 1
    assert sum(r["incubation_in"] is not None for r in rows) >= 50
    assert sum(r["incubation_out"] is not None for r in rows) >= 5
    assert sum(r["active"] for r in rows) >= len(rows) - 2
    names = " ".join(r["name"] for r in rows)
    assert "1516便民服务" in names and "青葵" in names
    assert "下沙街道文海社区邻里互助会" in names


def test_fields_are_consistent(rows):
    five_years_ago = TODAY.replace(year=TODAY.year - 5)
    for r in rows:
        for f in ("reg_date", "incubation_in", "incubation_out", "rating_date"):
            assert r[f] is None or r[f] <= TODAY, (r["name"], f)
        if r["kind"] == choices.FILED_KIND:
            assert r["uscc"] is None and r["filing_no"].startswith("下沙备字〔")
            assert r["rating"] is None
        else:
            u = r["uscc"]
            assert len(u) == 18 and _uscc.is_valid(u)
            assert u[:2] == choices.USCC_KIND_PREFIX[r["kind"]]
            assert u[2:8] in ("330114", "330100")
            assert not set(u) & set("IOZSV")
        if r["rating"]:
            assert five_years_ago < r["rating_date"] < TODAY
        if r["incubation_in"]:
            assert dt.date(2018, 6, 1) <= r["incubation_in"]
            assert r["reg_date"] is None or r["reg_date"] < r["incubation_in"]
        if r["incubation_out"]:
            assert r["incubation_out"] > r["incubation_in"]
        assert 1 <= len(r["service_domains"]) <= 3
        assert set(r["service_domains"]) <= set(choices.SERVICE_DOMAINS)
        assert r["contact_phone"].startswith(("0571 8", "0571 2", "13", "15", "17", "18"))
    assert len({r["name"] for r in rows}) == len(rows)
    usccs = [r["uscc"] for r in rows if r["uscc"]]
    assert len(set(usccs)) == len(usccs)
    assert len({r["filing_no"] for r in rows if r["filing_no"]}) == sum(r["filing_no"] is not None for r in rows)


def test_deterministic():
    a = demo_orgs.organisation_rows(seed=7, today=TODAY)
    assert a == demo_orgs.organisation_rows(seed=7, today=TODAY)
    assert a != demo_orgs.organisation_rows(seed=8, today=TODAY)


def test_load_writes_through_the_audited_path(db):
    n = demo_orgs.load(db)
    expected = len(demo_orgs.organisation_rows())
    assert n == expected
    assert db.scalar("SELECT count(*) FROM organisations") == n
    assert db.scalar("SELECT count(*) FROM communities") == 21
    assert db.scalar("SELECT count(DISTINCT community) FROM organisations") == 21
    assert db.scalar("SELECT count(*) FROM organisations WHERE rating = '4A'") == 3
    assert db.scalar("SELECT count(*) FROM organisations WHERE rating = '3A'") == 10
    assert db.scalar("SELECT count(*) FROM organisations WHERE incubation_in IS NOT NULL") >= 50
    assert db.scalar("SELECT count(DISTINCT name) FROM organisations") == n
    assert db.scalar("SELECT count(DISTINCT uscc) FROM organisations") == \
        db.scalar("SELECT count(uscc) FROM organisations")
    assert db.scalar("SELECT count(*) FROM organisations WHERE rating IS NOT NULL AND rating_expiry IS NULL") == 0
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'organisations'") == n
    assert db.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'communities'") == 21
    assert db.scalar("SELECT count(*) FROM audit_log") == n + 21
    assert db.scalar("SELECT count(DISTINCT actor) FROM audit_log") == 1


def test_load_needs_the_communities_provider(tmp_path, monkeypatch):
    monkeypatch.delitem(choices._providers, "communities", raising=False)
    database = get_db(tmp_path / "t.duckdb")
    try:
        with pytest.raises(RuntimeError):
            demo_orgs.load(database)
    finally:
        close_all()
