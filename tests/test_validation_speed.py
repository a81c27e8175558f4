"""The failure-case table of a refused record is the one pandera builds, though built only when read
(core/platform/validation.py ``_failure_table_when_read``): the same messages for the same input, with and without."""
from __future__ import annotations

import pandera.pandas as pa
import pytest
from pandera import errors as pa_errors

from core.platform import validation
from core.platform.errors import ValidationFailed
from schemas.incubation import MentoringAction, Rating
from schemas.organisation import Organisation

BAD = [
    (MentoringAction, {"action": "x", "owner": "", "due_date": "去年春天"}),
    (Rating, {"org_id": "abc", "level": "", "score": 2000, "rated_on": "2999-01-01", "note": "a" * 600}),
    (Organisation, {"name": "", "uscc": "12345", "phone": "电话", "founded_on": "1800-01-01"}),
]


def _refusal(model, values):
    with pytest.raises(ValidationFailed) as info:
        validation.validate(model, values)
    return info.value.fields, info.value.form


def _table(model, values):
    records, _ = validation._fitted(model, [values])
    df = validation._frame(model, records)
    with pytest.raises(pa_errors.SchemaErrors) as info:
        model.validate(df, lazy=True)
    return info.value.failure_cases.sort_values(["column", "check"]).reset_index(drop=True)


@pytest.mark.skipif(not validation.LAZY_FAILURE_TABLE, reason="another pandera version: nothing is changed")
@pytest.mark.parametrize("model,values", BAD, ids=[m.__name__ for m, _ in BAD])
def test_the_table_built_when_read_is_the_one_pandera_builds(model, values, monkeypatch, db):
    lazy_table, lazy_refusal = _table(model, values), _refusal(model, values)
    cls = pa_errors.SchemaErrors
    monkeypatch.setattr(cls, "__init__", validation.EAGER_INIT)
    for name in ("failure_cases", "error_counts", "message"):
        monkeypatch.delattr(cls, name)
    eager_table, eager_refusal = _table(model, values), _refusal(model, values)
    assert lazy_refusal == eager_refusal
    assert lazy_refusal[0]  # refused, with messages per field
    assert lazy_table.astype(str).equals(eager_table.astype(str))
    assert len(lazy_table) >= 2
