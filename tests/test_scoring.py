"""评分: the weighted total, the statistics of an application's scores (mean, 去掉一个最高分和一个最低分,
sample sd, range, median), the ranking order and its tie-break — by hand and as properties — then
the rubric (sum of maxima, names, the freeze, the default of a new round) and the scoring form's schema."""
from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.intake import rubrics
from core.review.consolidation import TRIM_MIN_REVIEWS, rank_key, stats
from core.platform.errors import PermissionDenied, ValidationFailed
from core.platform.validation import validate
from schemas.review import DEFAULT_RUBRIC, scoring_schema
from tests.test_reviews import assign_all, expert, in_review, score
from tests.test_rounds import ADMIN, STAFF, audit_rows, hub, last_audit_id, make_round  # noqa: F401


def default_criteria() -> list[dict]:
    return [dict(row, id=i) for i, row in enumerate(rubrics.default_rows(), start=1)]


# ---- the weighted total --------------------------------------------------------------------------

@pytest.mark.parametrize("scores, total", [
    ([20, 25, 20, 15, 10, 10], 100.0),
    ([0, 0, 0, 0, 0, 0], 0.0),
    ([18, 21, 15, 12, 8, 9], 83.0),
    ([12.5, 20.5, 11, 9.5, 6, 7.5], 67.0),
    ([1, 0, 0, 0, 0, 0], 1.0),
])
def test_default_rubric_total_is_the_sum_of_the_scores(scores, total):
    crit = default_criteria()
    assert rubrics.weighted_total({c["id"]: s for c, s in zip(crit, scores)}, crit) == total


@settings(max_examples=max(100, settings().max_examples), deadline=None)
@given(st.tuples(*(st.integers(0, 2 * m).map(lambda v: v / 2) for _, m, _ in DEFAULT_RUBRIC)))
def test_property_default_rubric_total_equals_the_sum(scores):
    crit = default_criteria()
    assert rubrics.weighted_total({c["id"]: s for c, s in zip(crit, scores)}, crit) == pytest.approx(sum(scores), abs=0.005)


def test_default_rows_are_the_six_criteria_with_weight_equal_to_maximum():
    rows = rubrics.default_rows()
    assert [(r["name"], r["max_score"], r["weight"]) for r in rows] == [
        ("需求分析", 20.0, 20.0), ("项目设计", 25.0, 25.0), ("执行能力", 20.0, 20.0),
        ("预算合理性", 15.0, 15.0), ("创新性", 10.0, 10.0), ("可持续性", 10.0, 10.0)]


def test_custom_weights_differing_from_the_maxima_by_hand():
    # A: max 40, weight 1; B: max 60, weight 3 -> (1 * 30/40 + 3 * 30/60) / 4 * 100 = (0.75 + 1.5) / 4 * 100
    two = [{"id": 1, "max_score": 40, "weight": 1}, {"id": 2, "max_score": 60, "weight": 3}]
    assert rubrics.weighted_total({1: 30, 2: 30}, two) == 56.25
    assert rubrics.weighted_total({1: 40, 2: 0}, two) == 25.0   # B carries three quarters of the weight
    assert rubrics.weighted_total({1: 0, 2: 60}, two) == 75.0
    assert rubrics.weighted_total({1: 40, 2: 60}, two) == 100.0
    # max 50/30/20, weights 2/1/1; scores 25, 30, 10 -> (2*0.5 + 1*1 + 1*0.5) / 4 * 100 = 62.5
    three = [{"id": 7, "max_score": 50, "weight": 2}, {"id": 8, "max_score": 30, "weight": 1},
             {"id": 9, "max_score": 20, "weight": 1}]
    assert rubrics.weighted_total({7: 25, 8: 30, 9: 10}, three) == 62.5
    # (1 * 10/30 + 2 * 35/70) / 3 * 100 = 44.444... -> rounded to 44.44
    thirds = [{"id": 1, "max_score": 30, "weight": 1}, {"id": 2, "max_score": 70, "weight": 2}]
    assert rubrics.weighted_total({1: 10, 2: 35}, thirds) == 44.44


def test_weighted_total_is_none_while_any_score_is_missing():
    crit = default_criteria()
    assert rubrics.weighted_total({1: 20, 2: 25, 3: 20, 4: 15, 5: 10}, crit) is None
    assert rubrics.weighted_total({1: 20, 2: 25, 3: 20, 4: 15, 5: 10, 6: None}, crit) is None
    assert rubrics.weighted_total({}, []) is None


# ---- stats ---------------------------------------------------------------------------------------

EMPTY = {"n": 0, "mean": None, "trimmed_mean": None, "sd": None, "spread": None, "median": None, "final": None}


@pytest.mark.parametrize("totals, trimmed, expected", [
    ([], True, EMPTY),
    ([80], True, {"n": 1, "mean": 80.0, "trimmed_mean": None, "sd": 0.0, "spread": 0.0, "median": 80.0, "final": 80.0}),
    # four reviews: never trimmed; sample sd = sqrt(500 / 3) = 12.91
    ([60, 70, 80, 90], True,
     {"n": 4, "mean": 75.0, "trimmed_mean": None, "sd": 12.91, "spread": 30.0, "median": 75.0, "final": 75.0}),
    # five: drop 50 and 95 -> (70 + 80 + 90) / 3 = 80; sd = sqrt(1280 / 4) = 17.89
    ([90, 50, 80, 95, 70], True,
     {"n": 5, "mean": 77.0, "trimmed_mean": 80.0, "sd": 17.89, "spread": 45.0, "median": 80.0, "final": 80.0}),
    ([90, 50, 80, 95, 70], False,
     {"n": 5, "mean": 77.0, "trimmed_mean": None, "sd": 17.89, "spread": 45.0, "median": 80.0, "final": 77.0}),
    # ties: exactly one 60 and one 80 are dropped -> (60 + 80 + 80) / 3 = 73.33 (not 80)
    ([80, 80, 80, 60, 60], True,
     {"n": 5, "mean": 72.0, "trimmed_mean": 73.33, "sd": 10.95, "spread": 20.0, "median": 80.0, "final": 73.33}),
    # six, half points: drop 40 and 99 -> 314 / 4 = 78.5; median (70 + 88.5) / 2; sd = sqrt(2322 / 5) = 21.55
    ([88.5, 90, 70, 65.5, 99, 40], True,
     {"n": 6, "mean": 75.5, "trimmed_mean": 78.5, "sd": 21.55, "spread": 59.0, "median": 79.25, "final": 78.5}),
    ([75, 75, 75, 75, 75], True,
     {"n": 5, "mean": 75.0, "trimmed_mean": 75.0, "sd": 0.0, "spread": 0.0, "median": 75.0, "final": 75.0}),
])
def test_stats_by_hand(totals, trimmed, expected):
    assert stats(totals, trimmed=trimmed) == expected


def test_trimming_needs_five_reviews():
    assert TRIM_MIN_REVIEWS == 5
    assert stats([10, 90, 90, 90], trimmed=True)["trimmed_mean"] is None
    assert stats([10, 90, 90, 90], trimmed=True)["final"] == 70.0
    assert stats([10, 90, 90, 90, 90], trimmed=True)["final"] == 90.0


SCORES = st.lists(st.integers(0, 200).map(lambda v: v / 2), min_size=1, max_size=30)


@settings(max_examples=max(200, settings().max_examples), deadline=None)
@given(SCORES)
def test_property_trimmed_mean_lies_between_min_and_max(totals):
    s = stats(totals, trimmed=True)
    assert s["n"] == len(totals)
    if len(totals) >= 5:
        assert min(totals) <= s["trimmed_mean"] <= max(totals)
        ordered = sorted(totals)
        assert s["trimmed_mean"] == round(statistics.fmean(ordered[1:-1]), 2)
        assert s["final"] == s["trimmed_mean"]
    else:
        assert s["trimmed_mean"] is None and s["final"] == s["mean"]
    assert min(totals) <= s["median"] <= max(totals)
    assert s["spread"] == round(max(totals) - min(totals), 2)
    assert s["sd"] >= 0


@settings(max_examples=max(200, settings().max_examples), deadline=None)
@given(SCORES)
def test_property_final_is_the_mean_when_trimming_is_off(totals):
    s = stats(totals, trimmed=False)
    assert s["trimmed_mean"] is None
    assert s["final"] == s["mean"] == round(statistics.fmean(totals), 2)
    assert s["sd"] == (round(statistics.stdev(totals), 2) if len(totals) > 1 else 0.0)


# ---- ranking -------------------------------------------------------------------------------------

def row(i, final, median=None, no=0):
    return {"id": i, "final": final, "median": median if median is not None else final, "no_count": no}


def test_ranking_order_and_tie_break_by_hand():
    rows = [
        row(1, 80.0, 80.0, 0), row(2, 85.0, 84.0, 2), row(3, 80.0, 82.0, 1),   # 3 beats 1 on the median
        row(4, 80.0, 82.0, 0),                                                # 4 beats 3 on fewer 不推荐
        row(5, 80.0, 82.0, 0),                                                # 4 beats 5 on the lower id
        row(6, None, None, 0), row(7, 90.5, 70.0, 3), row(8, None, None, 0),  # unscored last, by id
    ]
    assert [r["id"] for r in sorted(rows, key=rank_key)] == [7, 2, 4, 5, 3, 1, 6, 8]


ROWS = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(100, 110).map(lambda v: v / 2 + 20)),
              st.integers(70, 74), st.integers(0, 2)),
    min_size=1, max_size=25,
).map(lambda items: [{"id": i + 1, "final": f, "median": m if f is not None else None, "no_count": n}
                     for i, (f, m, n) in enumerate(items)])


def _before(a: dict, b: dict) -> bool:
    """The stated order: scored first; higher final; higher median; fewer 不推荐; lower id."""
    if (a["final"] is None) != (b["final"] is None):
        return a["final"] is not None
    if a["final"] is not None and a["final"] != b["final"]:
        return a["final"] > b["final"]
    if (a["median"] or 0) != (b["median"] or 0):
        return (a["median"] or 0) > (b["median"] or 0)
    if a["no_count"] != b["no_count"]:
        return a["no_count"] < b["no_count"]
    return a["id"] < b["id"]


@settings(max_examples=max(200, settings().max_examples), deadline=None)
@given(ROWS, st.randoms(use_true_random=False))
def test_property_ranking_is_a_stable_permutation_obeying_the_tie_break(rows, rnd):
    ranked = sorted(rows, key=rank_key)
    assert sorted(r["id"] for r in ranked) == [r["id"] for r in rows]  # a permutation: nothing lost or doubled
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert [r["id"] for r in sorted(shuffled, key=rank_key)] == [r["id"] for r in ranked]  # same order every run
    assert [r["id"] for r in sorted(ranked, key=rank_key)] == [r["id"] for r in ranked]
    assert all(_before(a, b) for a, b in zip(ranked, ranked[1:]))


# ---- the rubric ----------------------------------------------------------------------------------

def test_a_new_round_gets_the_default_six_criteria_summing_to_100(hub):
    rid = make_round()
    crit = rubrics.criteria(rid)
    assert [(c["seq"], c["name"], c["max_score"], c["weight"]) for c in crit] == [
        (1, "需求分析", 20.0, 20.0), (2, "项目设计", 25.0, 25.0), (3, "执行能力", 20.0, 20.0),
        (4, "预算合理性", 15.0, 15.0), (5, "创新性", 10.0, 10.0), (6, "可持续性", 10.0, 10.0)]
    assert sum(c["max_score"] for c in crit) == 100.0
    assert crit[0]["guidance"] == "服务对象的需求是否真实、具体,有调研或数据支撑"
    assert hub.scalar("SELECT rubric_total FROM rounds WHERE id = ?", [rid]) == 100.0
    assert rubrics.ensure_default(rid, STAFF) is False
    assert hub.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'rubric_criteria'") == 6


CUSTOM = [{"name": "需求与目标", "max_score": 40, "weight": 1, "guidance": "需求是否真实"},
          {"name": "执行与预算", "max_score": 60, "weight": 3}]


def test_set_rubric_replaces_the_criteria_and_audits_it(hub):
    rid = make_round()
    before = last_audit_id(hub)
    rubrics.set_rubric(rid, CUSTOM + [{"name": "", "max_score": None, "weight": None}], STAFF)  # blank rows ignored
    crit = rubrics.criteria(rid)
    assert [(c["seq"], c["name"], c["max_score"], c["weight"], c["guidance"]) for c in crit] == [
        (1, "需求与目标", 40.0, 1.0, "需求是否真实"), (2, "执行与预算", 60.0, 3.0, None)]
    assert [(r["table_name"], r["action"]) for r in audit_rows(hub, before)] == (
        [("rubric_criteria", "delete")] * 6 + [("rubric_criteria", "create")] * 2)
    assert rubrics.weighted_total({crit[0]["id"]: 30, crit[1]["id"]: 30}, crit) == 56.25


@pytest.mark.parametrize("rows, message", [
    ([{"name": "需求分析", "max_score": 50, "weight": 50}, {"name": "项目设计", "max_score": 40, "weight": 40}],
     "各评分项满分之和须为100分,当前为90分"),
    ([{"name": "需求分析", "max_score": 60.5, "weight": 1}, {"name": "项目设计", "max_score": 40, "weight": 1}],
     "各评分项满分之和须为100分,当前为100.5分"),
    ([{"name": "需求分析", "max_score": 50, "weight": 1}, {"name": "需求分析", "max_score": 50, "weight": 1}],
     "评分项名称不能重复"),
    ([], "至少需要一个评分项"),
    ([{"name": "", "max_score": None, "weight": None, "guidance": ""}], "至少需要一个评分项"),
])
def test_set_rubric_refusals(hub, rows, message):
    rid = make_round()
    before = last_audit_id(hub)
    with pytest.raises(ValidationFailed) as info:
        rubrics.set_rubric(rid, rows, STAFF)
    assert info.value.fields == {"criteria": [message]}
    assert last_audit_id(hub) == before and len(rubrics.criteria(rid)) == 6


def test_set_rubric_row_errors_name_their_row(hub):
    rid = make_round()
    with pytest.raises(ValidationFailed) as info:
        rubrics.set_rubric(rid, [{"name": "需求分析", "max_score": 100, "weight": 1},
                                 {"name": "项目设计", "max_score": 0, "weight": 1}], STAFF)
    assert info.value.fields == {"criteria": ["第2行:满分必须大于0"]}


def test_only_staff_set_the_rubric(hub):
    rid = make_round()
    with pytest.raises(PermissionDenied):
        rubrics.set_rubric(rid, [{"name": "综合评价", "max_score": 100, "weight": 1}],
                           expert("expert01"))
    assert len(rubrics.criteria(rid)) == 6


def test_the_rubric_freezes_after_the_first_submitted_review(hub):
    rid = make_round()
    app_id = in_review(rid, 1)
    li, wang = expert("expert_li"), expert("expert_wang")
    t_li, t_wang = assign_all(app_id, [li, wang])
    score(t_wang, wang, rid, 60, submit=False)  # a draft does not freeze it
    assert rubrics.is_frozen(rid) is False
    rubrics.set_rubric(rid, [dict(r, weight=1) for r in rubrics.default_rows()], STAFF)
    score(t_li, li, rid, 85)
    assert rubrics.is_frozen(rid) is True
    with pytest.raises(ValidationFailed) as info:
        rubrics.set_rubric(rid, rubrics.default_rows(), ADMIN)
    assert info.value.form == ["已有专家提交评分,评分细则已冻结,不能再修改"]
    assert {c["weight"] for c in rubrics.criteria(rid)} == {1.0}


# ---- the scoring form's schema -------------------------------------------------------------------

CRIT = [{"id": 1, "name": "需求分析", "max_score": 20}, {"id": 2, "name": "项目设计", "max_score": 25}]


def check(values: dict, *, half: bool = False, submit: bool = True) -> dict:
    return validate(scoring_schema(CRIT, half_points=half, submit=submit), values)


def refused(values: dict, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        check(values, **kw)
    return info.value


GOOD = {"score_1": 16, "score_2": 20, "recommendation": "推荐"}


def test_a_complete_form_passes():
    assert check(GOOD) == {"score_1": 16.0, "comment_1": None, "score_2": 20.0, "comment_2": None,
                           "recommendation": "推荐"}
    assert check(dict(GOOD, score_1="18", comment_2="  设计清楚  "))["comment_2"] == "设计清楚"


def test_a_score_above_the_maximum_is_refused():
    assert refused(dict(GOOD, score_2=26)).fields == {"score_2": ["项目设计(满分25)应在0到25之间"]}
    assert refused(dict(GOOD, score_1=20.5), half=True).fields == {"score_1": ["需求分析(满分20)应在0到20之间"]}
    assert check(dict(GOOD, score_1=20, score_2=25))["score_2"] == 25.0
    assert check(dict(GOOD, score_1=20, score_2=0, comment_2="方案空缺"))["score_2"] == 0.0


def test_a_negative_score_is_refused():
    err = refused(dict(GOOD, score_1=-1, comment_1="需求不清"))
    assert err.fields == {"score_1": ["需求分析(满分20)应在0到20之间"]}


def test_half_points_depend_on_the_round():
    assert refused(dict(GOOD, score_1=15.5)).fields == {"score_1": ["需求分析(满分20)须为整数分或半分(按批次设置)"]}
    assert check(dict(GOOD, score_1=15.5), half=True)["score_1"] == 15.5
    assert refused(dict(GOOD, score_1=15.25), half=True).fields == {
        "score_1": ["需求分析(满分20)须为整数分或半分(按批次设置)"]}
    assert refused(dict(GOOD, score_1=15.5), submit=False).fields == {
        "score_1": ["需求分析(满分20)须为整数分或半分(按批次设置)"]}  # a draft keeps the step too


def test_a_missing_score_is_refused_on_submit_but_allowed_in_a_draft():
    values = {"score_2": 20, "recommendation": None}
    err = refused(values)
    assert err.fields == {"score_1": ["请填写需求分析(满分20)"], "recommendation": ["请选择总体推荐意见"]}
    assert check(values, submit=False) == {"score_1": None, "comment_1": None, "score_2": 20.0, "comment_2": None,
                                           "recommendation": None}
    assert check({}, submit=False)["score_2"] is None


def test_a_low_score_needs_a_comment_on_submit_only():
    low = dict(GOOD, score_1=11)  # 11 < 60% of 20 = 12
    assert refused(low).fields == {"comment_1": ["「需求分析」得分低于满分的60%,请填写评语"]}
    assert refused(dict(low, comment_1="   ")).fields == {"comment_1": ["「需求分析」得分低于满分的60%,请填写评语"]}
    assert check(dict(low, comment_1="调研数据不足"))["comment_1"] == "调研数据不足"
    assert check(dict(GOOD, score_1=12))["score_1"] == 12.0  # exactly 60%: no comment needed
    assert check(low, submit=False)["score_1"] == 11.0
    both = dict(GOOD, score_1=0, score_2=14)  # 14 < 15 = 60% of 25
    assert refused(both).fields == {"comment_1": ["「需求分析」得分低于满分的60%,请填写评语"],
                                    "comment_2": ["「项目设计」得分低于满分的60%,请填写评语"]}


def test_an_unreadable_score_gets_one_message():
    assert refused(dict(GOOD, score_1="十八")).fields == {"score_1": ["需求分析(满分20)格式不正确"]}


@pytest.mark.parametrize("value", ["很好", "同意", "推荐 ", "不予推荐"])
def test_the_recommendation_must_be_one_of_three(value):
    if value == "推荐 ":
        assert check(dict(GOOD, recommendation=value))["recommendation"] == "推荐"  # stripped like any text
        return
    assert refused(dict(GOOD, recommendation=value)).fields == {"recommendation": ["请从列表中选择总体推荐意见"]}


@pytest.mark.parametrize("value", ["推荐", "可推荐", "不推荐"])
def test_each_of_the_three_recommendations_passes(value):
    assert check(dict(GOOD, recommendation=value))["recommendation"] == value
