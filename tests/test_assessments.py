"""能力评估 core: the formulas on hand-computed examples, instrument versions that stay comparable by
dimension name, recommendations from the support map, and the cohort views."""
from __future__ import annotations

import datetime as dt

import pytest

from core import domain
from core.incubation import assessments as A
from core.orgs import organisations
from core.platform.actor import Actor
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.test_schema_organisation import org_values, uscc_for

STAFF = Actor("wangmin", ("staff",))


@pytest.fixture
def cap(db):
    domain.install_providers()
    A.ensure_defaults(db=db)
    return db


def _org(i: int, **kw) -> int:
    return organisations.create(org_values(name=f"下沙能力评估测试协会{i:02d}", uscc=uscc_for("51", 300 + i), **kw), STAFF)


def _values(inst: dict, by_dim: dict[str, list[int]], default: int = 3, **head) -> dict:
    """Form values: ``by_dim`` gives a dimension's indicator scores in order; the rest get ``default``."""
    out = {}
    for d in inst["dimensions"]:
        given = by_dim.get(d["name"], [default] * len(d["indicators"]))
        for ind, s in zip(d["indicators"], given):
            out[f"score_{ind['id']}"] = s
    out.update({"period": "2025年上半年", "assessor": "王敏", "assessed_on": dt.date(2025, 5, 10)} | head)
    return out


def _assess(org: int, by_dim: dict, inst_id: int | None = None, default: int = 3, **head) -> tuple[int, float]:
    inst = A.instrument(inst_id or A.latest_instrument_id())
    return A.create(org, inst["id"], _values(inst, by_dim, default, **head), STAFF)


SMALL = [  # a small instrument for hand maths: weights 2, 1, 1
    {"dimension": "内部治理", "weight": 2.0, "indicator": "章程与制度", "guidance": "制度齐全"},
    {"dimension": "内部治理", "weight": 2.0, "indicator": "决策机制", "guidance": None},
    {"dimension": "财务管理", "weight": 1.0, "indicator": "财务制度", "guidance": None},
    {"dimension": "财务管理", "weight": 1.0, "indicator": "账目规范", "guidance": None},
    {"dimension": "财务管理", "weight": 1.0, "indicator": "预算执行", "guidance": None},
    {"dimension": "品牌传播", "weight": 1.0, "indicator": "传播渠道", "guidance": None},
]


# ---- formulas -----------------------------------------------------------------------------------

def test_dimension_score_maps_the_mean_of_1_to_5_onto_0_to_100():
    assert A.dimension_score([1, 1, 1]) == 0
    assert A.dimension_score([5, 5]) == 100
    assert A.dimension_score([3]) == 50
    assert A.dimension_score([4, 5]) == 87.5
    assert A.dimension_score([2, 3, 3]) == pytest.approx(41.6667, abs=1e-4)  # (8/3 - 1) / 4 * 100


def test_total_is_the_weighted_mean_of_the_dimension_scores():
    assert A.weighted_total({"a": 87.5, "b": 41.666667, "c": 0.0}, {"a": 2, "b": 1, "c": 1}) == 54.17
    assert A.weighted_total({"a": 80.0, "b": 40.0}, {"a": 30, "b": 70}) == 52.0


def test_hand_computed_assessment_on_a_small_instrument(cap):
    inst_id = A.new_version(SMALL, {"name": "小工具"}, STAFF)
    org = _org(1)
    aid, total = _assess(org, {"内部治理": [4, 5], "财务管理": [2, 3, 3], "品牌传播": [1]}, inst_id)
    # 内部治理 (4.5-1)/4*100 = 87.5; 财务管理 (8/3-1)/4*100 = 41.67; 品牌传播 0
    # total (2*87.5 + 41.667 + 0) / 4 = 54.17
    assert total == 54.17
    assert A.get(aid)["total"] == 54.17
    assert A.dimension_scores(aid) == {"内部治理": 87.5, "财务管理": 41.67, "品牌传播": 0.0}
    stored = cap.fetch_all("SELECT score FROM assessment_scores WHERE assessment_id = ? ORDER BY id", [aid])
    assert [s["score"] for s in stored] == [4, 5, 2, 3, 3, 1]


def test_default_instrument_and_its_weights(cap):
    inst = A.instrument(A.latest_instrument_id())
    assert inst["version"] == 1
    assert [d["name"] for d in inst["dimensions"]] == ["内部治理", "项目管理", "财务管理", "人力资源", "品牌传播", "资源动员", "服务成效"]
    assert sum(d["weight"] for d in inst["dimensions"]) == 100
    assert all(2 <= len(d["indicators"]) <= 4 for d in inst["dimensions"])
    assert all(i["guidance"] for d in inst["dimensions"] for i in d["indicators"])
    # 项目管理 all 5 (100), 财务管理 all 1 (0), the rest 3 (50):
    # (15*50 + 20*100 + 15*0 + 10*50 + 10*50 + 15*50 + 15*50) / 100 = 52.5
    _, total = _assess(_org(1), {"项目管理": [5, 5, 5, 5], "财务管理": [1, 1, 1]})
    assert total == 52.5
    assert A.ensure_defaults() is False  # seeded once
    assert len(A.instruments()) == 1


def test_assessment_form_schema_has_one_field_per_indicator_with_guidance():
    from schemas.base import field_specs
    from schemas.capability import assessment_schema

    dims = [{"name": "财务管理", "indicators": [{"id": 7, "name": "账目规范", "guidance": "票据合规"}]}]
    specs = field_specs(assessment_schema(dims))
    assert list(specs) == ["score_7", "period", "assessor", "assessed_on", "evidence"]
    assert specs["score_7"]["label"] == "财务管理·账目规范"
    assert specs["score_7"]["widget"] == "int"
    assert specs["score_7"]["help"].startswith("票据合规")
    assert specs["score_7"]["required"] and not specs["evidence"]["required"]


def test_bad_scores_and_period_are_refused_and_nothing_is_stored(cap):
    org = _org(1)
    inst = A.instrument(A.latest_instrument_id())
    first = inst["dimensions"][0]["indicators"][0]["id"]
    values = _values(inst, {}, period="2025春季", assessed_on=dt.date.today() + dt.timedelta(days=3))
    values[f"score_{first}"] = 6
    values[f"score_{inst['dimensions'][1]['indicators'][0]['id']}"] = None
    with pytest.raises(ValidationFailed) as info:
        A.create(org, inst["id"], values, STAFF)
    fields = info.value.fields
    assert fields[f"score_{first}"] == ["内部治理·章程与制度应在1到5之间"]
    assert fields[f"score_{inst['dimensions'][1]['indicators'][0]['id']}"] == ["请填写项目管理·需求调研"]
    assert fields["period"] == ["请从列表中选择评估期"]  # not a defined period
    assert fields["assessed_on"] == ["评估日期不能晚于今天"]
    assert cap.scalar("SELECT count(*) FROM assessments") == 0
    assert cap.scalar("SELECT count(*) FROM assessment_scores") == 0


def test_the_period_is_a_defined_period_in_one_spelling(cap):
    from schemas.base import field_specs
    from schemas.capability import assessment_schema

    spec = field_specs(assessment_schema(A.instrument(A.latest_instrument_id())["dimensions"]))["period"]
    assert (spec["widget"], spec["source"]) == ("select", "assessment_periods")  # a choice, not free text
    org = _org(1)
    aid, _ = _assess(org, {}, period="2025 下半年")  # the same period written another way
    assert A.get(aid)["period"] == "2025年下半年"
    with pytest.raises(ValidationFailed) as info:
        _assess(org, {}, period="2025年下半年", assessed_on=dt.date(2025, 11, 2))
    assert info.value.fields["period"][0].startswith("该组织已有「2025年下半年」的评估")
    for bad in ("2025秋季", "25年上半年", "2025年第五季度", "下半年"):
        with pytest.raises(ValidationFailed) as info:
            _assess(org, {}, period=bad, assessed_on=dt.date(2025, 3, 2))
        assert info.value.fields["period"] == ["请从列表中选择评估期"], bad
    assert A.periods() == ["2025年下半年"]


def test_migration_009_rewrites_earlier_spellings_and_keeps_collisions(cap):
    """Free text stored before 评估期 became a choice: one spelling afterwards, so one cohort per period."""
    from core.platform.migrate import available
    from schemas import choices

    a, b, c = _org(1), _org(2), _org(3)
    rows = [(a, "2025上半年"), (a, "2025下半年"), (b, " 2025 年 下半年"), (b, "2024全年"), (c, "2025下半年"),
            (c, "2025年下半年"), (c, "2024第一季度")]
    inst = A.latest_instrument_id()
    with cap.transaction() as tx:
        for i, (org, period) in enumerate(rows, start=1):
            tx.execute("INSERT INTO assessments (id, org_id, period, instrument_id, assessor, assessed_on, total)"
                       " VALUES (?, ?, ?, ?, '王敏', ?, 50)", [9000 + i, org, period, inst, dt.date(2025, 1, i)])
    sql = next(m for m in available() if m.version == 9).sql
    with cap.transaction() as tx:
        tx.execute(sql)
    stored = {r["id"]: r["period"] for r in cap.fetch_all("SELECT id, period FROM assessments WHERE id > 9000")}
    assert stored == {9001: "2025年上半年", 9002: "2025年下半年", 9003: "2025年下半年", 9004: "2024年度",
                      9005: "2025下半年",  # c already has 2025年下半年: left as it was rather than merged
                      9006: "2025年下半年", 9007: "2024年第一季度"}
    assert set(A.periods()) - {"2025下半年"} <= set(choices.assessment_periods())


def test_one_assessment_per_organisation_and_period(cap):
    org = _org(1)
    _assess(org, {})
    with pytest.raises(ValidationFailed) as info:
        _assess(org, {}, assessed_on=dt.date(2025, 6, 1))
    assert info.value.fields["period"][0].startswith("该组织已有「2025年上半年」的评估")
    assert cap.scalar("SELECT count(*) FROM assessments") == 1


def test_leaders_and_reviewers_cannot_assess(cap):
    org = _org(1)
    inst = A.instrument(A.latest_instrument_id())
    with pytest.raises(PermissionDenied):
        A.create(org, inst["id"], _values(inst, {}), Actor("leader", ("leader",)))
    assert cap.scalar("SELECT count(*) FROM assessments") == 0


# ---- versions -----------------------------------------------------------------------------------

def _v2_rows() -> list[dict]:
    """v1 with 财务管理's indicators changed, 项目管理 weighted 25, 服务成效 dropped, 数字化能力 added."""
    rows = [r for r in A.instrument_rows(A.latest_instrument_id()) if r["dimension"] != "服务成效"]
    rows = [r for r in rows if not (r["dimension"] == "财务管理" and r["indicator"] == "预算执行")]
    for r in rows:
        if r["dimension"] == "项目管理":
            r["weight"] = 25.0
    rows.insert(9, {"dimension": "财务管理", "weight": 15.0, "indicator": "内控与审计", "guidance": "有年度审计"})
    rows += [{"dimension": "数字化能力", "weight": 5.0, "indicator": "线上服务", "guidance": None},
             {"dimension": "数字化能力", "weight": 5.0, "indicator": "数据管理", "guidance": None}]
    return rows


def test_a_new_version_keeps_old_assessments_and_compares_by_dimension_name(cap):
    org = _org(1)
    v1 = A.latest_instrument_id()
    a1, t1 = _assess(org, {"财务管理": [2, 2, 2], "服务成效": [5, 5, 5]})
    v2 = A.new_version(_v2_rows(), {"name": "社会组织能力评估工具", "note": "调整财务指标"}, STAFF)
    assert A.instrument(v2)["version"] == 2 and A.latest_instrument_id() == v2
    # the old version and the old assessment are untouched
    assert [d["name"] for d in A.instrument(v1)["dimensions"]][-1] == "服务成效"
    assert A.get(a1)["total"] == t1 and A.get(a1)["instrument_id"] == v1
    assert A.dimension_scores(a1)["财务管理"] == 25.0

    a2, _ = _assess(org, {"财务管理": [4, 4, 4], "数字化能力": [5, 5]}, v2, period="2025年下半年",
                    assessed_on=dt.date(2025, 11, 10))
    cmp = A.compare(a1, a2)
    assert cmp["dimension"].tolist() == ["内部治理", "项目管理", "财务管理", "人力资源", "品牌传播", "资源动员"]
    fin = cmp.set_index("dimension").loc["财务管理"]
    assert (fin["before"], fin["after"], fin["change"]) == (25.0, 75.0, 50.0)
    radar = A.radar_frame(a2)
    assert set(radar[radar["series"] == "本期"]["dimension"]) == {
        "内部治理", "项目管理", "财务管理", "人力资源", "品牌传播", "资源动员", "数字化能力"}
    assert "数字化能力" not in set(radar[radar["series"] == "上期"]["dimension"])  # v1 has no such dimension
    trend = A.trend_frame(org)
    assert trend[trend["dimension"] == "服务成效"]["period"].tolist() == ["2025年上半年"]
    assert trend[trend["dimension"] == "数字化能力"]["period"].tolist() == ["2025年下半年"]
    assert trend[trend["dimension"] == "财务管理"]["score"].tolist() == [25.0, 75.0]


def test_saving_an_unchanged_instrument_is_refused(cap):
    with pytest.raises(ValidationFailed) as info:
        A.new_version(A.instrument_rows(A.latest_instrument_id()), {"name": "同样的工具"}, STAFF)
    assert info.value.form == ["与当前版本的维度、权重和指标完全相同,无需保存新版本"]
    assert len(A.instruments()) == 1


def test_instrument_rows_are_checked(cap):
    rows = [dict(r) for r in SMALL]
    rows[1]["weight"] = 3.0  # 内部治理 weighted 2 on its first row
    rows[3]["indicator"] = "财务制度"  # same indicator twice in 财务管理
    with pytest.raises(ValidationFailed) as info:
        A.new_version(rows, {"name": "小工具"}, STAFF)
    assert info.value.fields["rows"] == ["维度「内部治理」各行的权重不一致", "维度「财务管理」中的指标「财务制度」重复"]
    bad = [dict(SMALL[0], weight=0), dict(SMALL[1], indicator="")]
    with pytest.raises(ValidationFailed) as info:
        A.new_version(bad, {"name": "小工具"}, STAFF)
    assert info.value.fields["rows"] == ["第1行:维度权重必须大于0", "第2行:请填写指标"]
    with pytest.raises(ValidationFailed):
        A.new_version([{"dimension": None, "weight": None, "indicator": "", "guidance": None}], {"name": "空"}, STAFF)
    assert len(A.instruments()) == 1


# ---- recommendations ----------------------------------------------------------------------------

def test_recommendations_for_the_two_weakest_dimensions_follow_the_map(cap):
    org = _org(1)
    # an older assessment whose weakest dimensions differ: only the latest counts
    _assess(org, {"服务成效": [1, 1, 1]}, default=4, period="2024年下半年", assessed_on=dt.date(2024, 11, 1))
    # 财务管理 0, 品牌传播 25, 人力资源 (7/3-1)/4*100 = 33.33, the rest 75
    _assess(org, {"财务管理": [1, 1, 1], "品牌传播": [2, 2], "人力资源": [2, 3, 2]}, default=4)
    rec = A.recommendations(org)
    assert rec["dimension"].tolist() == ["财务管理", "品牌传播"]
    assert rec["score"].tolist() == [0.0, 25.0]
    assert rec["modules"].tolist() == [["财务规范管理"], ["项目策划设计"]]
    assert rec["topics"].tolist() == [["财税管理"], ["品牌传播", "数字化运营"]]
    # staff edit the map: the recommendation follows
    assert A.set_support("品牌传播", {"modules": ["风险预警防控", "执行流程管控"], "topics": ["品牌传播"]}, STAFF)
    assert A.set_support("品牌传播", {"modules": ["风险预警防控", "执行流程管控"], "topics": ["品牌传播"]}, STAFF) is False
    rec = A.recommendations(org)
    assert rec["modules"].tolist()[1] == ["风险预警防控", "执行流程管控"]
    assert rec["topics"].tolist()[1] == ["品牌传播"]


def test_ties_follow_the_instrument_order_and_unknown_topics_are_refused(cap):
    org = _org(1)
    _assess(org, {"资源动员": [2, 2, 2], "人力资源": [2, 2, 2]}, default=4)
    assert A.recommendations(org)["dimension"].tolist() == ["人力资源", "资源动员"]
    assert A.recommendations(_org(2)).empty
    with pytest.raises(ValidationFailed) as info:
        A.set_support("人力资源", {"topics": ["炒股"]}, STAFF)
    assert info.value.fields == {"topics": ["对应培训主题含有不在列表中的选项"]}


def test_support_map_is_seeded_once_with_every_default_dimension(cap):
    sm = A.support_map()
    assert sm["dimension"].tolist() == ["内部治理", "项目管理", "财务管理", "人力资源", "品牌传播", "资源动员", "服务成效"]
    assert all(m for m in sm["modules"]) and all(t for t in sm["topics"])
    assert cap.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'support_map'") == 7
    A.ensure_defaults()
    assert len(A.support_map()) == 7


# ---- cohort views -------------------------------------------------------------------------------

@pytest.fixture
def cohort(cap):
    """A falls, B rises, C is new in 2025下半年, D was never assessed, E (deregistered) neither."""
    orgs = {k: _org(i) for i, k in enumerate("ABCD", start=1)}
    orgs["E"] = _org(5, active=False)
    _assess(orgs["A"], {}, default=4, period="2025年上半年", assessed_on=dt.date(2025, 5, 10))  # 75
    _assess(orgs["A"], {"财务管理": [1, 1, 1]}, default=4, period="2025年下半年",
            assessed_on=dt.date(2025, 11, 10))  # 75 - 15*75/100 = 63.75
    _assess(orgs["B"], {}, default=2, period="2025年上半年", assessed_on=dt.date(2025, 5, 12))  # 25
    _assess(orgs["B"], {}, default=3, period="2025年下半年", assessed_on=dt.date(2025, 11, 12))  # 50
    _assess(orgs["C"], {}, default=5, period="2025年下半年", assessed_on=dt.date(2025, 11, 20))  # 100
    return orgs


def test_periods_most_recent_first(cohort):
    assert A.periods() == ["2025年下半年", "2025年上半年"]


def test_organisations_whose_total_fell(cohort):
    fell = A.fallen("2025年下半年")
    assert fell[["org_id", "previous_period", "previous_total", "period", "total", "change"]].to_dict("records") == [
        {"org_id": cohort["A"], "previous_period": "2025年上半年", "previous_total": 75.0, "period": "2025年下半年",
         "total": 63.75, "change": -11.25}]
    assert A.fallen("2025年上半年").empty


def test_distribution_and_cohort_median(cohort):
    dist = A.distribution("2025年下半年")
    assert len(dist) == 3 * 7
    fin = dist[dist["dimension"] == "财务管理"].sort_values("score")["score"].tolist()
    assert fin == [0.0, 50.0, 100.0]
    med = A.cohort_median("2025年下半年")
    assert med["财务管理"] == 50.0 and med["内部治理"] == 75.0  # medians of (0, 50, 100) and (75, 50, 100)
    a2 = A.assessment_frame(org_id=cohort["A"])["id"].iloc[-1]
    radar = A.radar_frame(int(a2))
    assert radar["series"].unique().tolist() == ["本期", "上期", "同期中位数"]
    fin = radar[radar["dimension"] == "财务管理"].set_index("series")["score"].to_dict()
    assert fin == {"本期": 0.0, "上期": 75.0, "同期中位数": 50.0}


def test_organisations_not_assessed_for_a_configurable_time(cohort):
    stale = A.not_assessed(12, today=dt.date(2026, 6, 1))  # cutoff 2025-06-01
    assert stale["org_id"].tolist() == [cohort["D"]]  # never assessed; E is deregistered
    stale = A.not_assessed(6, today=dt.date(2026, 6, 1))  # cutoff 2025-12-01
    assert stale["org_id"].tolist() == [cohort["D"], cohort["A"], cohort["B"], cohort["C"]]
    assert stale["last_period"].tolist()[1:] == ["2025年下半年"] * 3


def test_months_before_clamps_to_the_end_of_the_month():
    assert A.months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert A.months_before(dt.date(2026, 6, 1), 12) == dt.date(2025, 6, 1)
    assert A.months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)
