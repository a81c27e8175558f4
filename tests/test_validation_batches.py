"""Rows validated together (an Excel import, a batch of the property test) get the same messages as each
row validated alone, also when another row holds a value its column cannot read (found by the property
test: a score of 0 went unreported beside a row whose score was text, when its row had another error too, because Pandera then skips that
column's checks on every row)."""
from __future__ import annotations

import pytest

from core.platform.errors import ValidationFailed
from core.platform.validation import to_failure, validate, validate_many
from schemas.capability import DEFAULT_INSTRUMENT, assessment_schema


def _schema():
    ids = iter(range(1, 1000))
    return assessment_schema([{"name": d, "indicators": [{"id": next(ids), "name": n, "guidance": g} for n, g in inds]}
                              for d, _, inds in DEFAULT_INSTRUMENT])


def _alone(model, row):
    try:
        validate(model, row)
    except ValidationFailed as exc:
        return exc.fields, exc.form
    return None


@pytest.mark.parametrize("unreadable", ['\x08"©', "0" * 900, "三分"], ids=["symbols", "long-zeros", "words"])
def test_a_row_with_an_unreadable_value_hides_no_error_of_the_others(unreadable):
    model = _schema()
    scores = [c for c in model.columns if c.startswith("score_")]
    good = {**{c: 3 for c in scores}, "period": "2026年上半年", "assessor": "王芳", "evidence": "现场查看",
            "assessed_on": "2026-05-01"}
    rows = [{**good, scores[0]: 0, scores[1]: 0}, {**good, scores[0]: unreadable}, dict(good), {**good, scores[0]: 9, "assessor": ""}]
    valid, errors = validate_many(model, rows)
    assert sorted(valid) == [2]
    for i in (0, 1, 3):
        mine = [e for e in errors if e.row == i]
        assert mine, i
        refusal = to_failure(mine)
        assert (refusal.fields, refusal.form) == _alone(model, rows[i]), i
    label = model.columns[scores[0]].metadata["label"]
    assert any("应在1到5之间" in m and label in m for m in to_failure([e for e in errors if e.row == 0]).fields[scores[0]])
    assert any("应在1到5之间" in m for m in to_failure([e for e in errors if e.row == 3]).fields[scores[0]])


def test_a_cross_field_rule_judges_each_row_also_beside_a_row_it_cannot_read():
    """Found by the property test: an 入壳 decision with not every criterion met and no note ("未满足全部标准时,
    请在说明中写明…") went unreported when another row of the batch held a number where the criteria list
    belongs (the rule raised on that row and passed the whole batch)."""
    import datetime as dt

    from schemas.incubation import EntryForm

    rows = [{"org_id": None, "kind": "入壳", "criteria_met": ["有明确的服务领域和对象"]},
            {"org_id": 3, "kind": "入壳", "decided_on": dt.date(2024, 1, 1), "criteria_met": ["有明确的服务领域和对象"]},
            {"org_id": None, "kind": "入壳", "decided_on": dt.date(2018, 1, 1), "criteria_met": float("inf")}]
    _valid, errors = validate_many(EntryForm, rows)
    for i in (0, 1):
        alone = _alone(EntryForm, rows[i])
        assert alone is not None and "note" in alone[0], alone
        together = to_failure([e for e in errors if e.row == i])
        assert (together.fields, together.form) == alone, i
