"""The training-effectiveness figures are computed in the database (issue 17: the pandas merge of every
(training, organisation) pair with every dimension score took 7 s per run at a city's scale). The figures
must be the ones the pandas reference below computes, on the demo data (every training, every attendee)."""
from __future__ import annotations

import pandas as pd
import pytest

from core.incubation import assessments, trainings as T


def _reference_changes(db) -> pd.DataFrame:
    """The former implementation, kept as the reference: last assessment before, first after, by dimension."""
    pairs = db.fetch_df("SELECT DISTINCT t.id AS training_id, t.topic, t.training_date, a.org_id FROM trainings t"
                        " JOIN training_attendance a ON a.training_id = t.id ORDER BY t.id, a.org_id")
    pairs["dimension"] = pairs["topic"].map(T.TOPIC_DIMENSION)
    pairs["day"] = pd.to_datetime(pairs["training_date"])
    scores = assessments.score_frame(db=db)[["org_id", "dimension", "assessed_on", "assessment_id", "score"]]
    both = pairs.merge(scores, on=["org_id", "dimension"], how="inner").sort_values(["assessed_on", "assessment_id"])
    keys = ["training_id", "org_id"]
    before = both[both["assessed_on"] < both["day"]].groupby(keys).tail(1)[keys + ["score"]]
    after = both[both["assessed_on"] > both["day"]].groupby(keys).head(1)[keys + ["score"]]
    out = pairs[keys + ["dimension"]].merge(before.rename(columns={"score": "before"}), on=keys, how="left") \
        .merge(after.rename(columns={"score": "after"}), on=keys, how="left")
    out["change"] = out["after"].astype(float) - out["before"].astype(float)
    return out


def test_the_database_computes_what_the_reference_computes_on_the_demo_data(demo_db):
    from core.platform.db import get_db

    db = get_db()
    ref = _reference_changes(db).set_index(["training_id", "org_id"]).sort_index()
    got = T.capability_changes(db).set_index(["training_id", "org_id"]).sort_index()
    assert len(got) == len(ref) > 100
    assert got.index.equals(ref.index)
    assert got["dimension"].fillna("").tolist() == ref["dimension"].fillna("").tolist()
    assert got["change"].notna().sum() == ref["change"].notna().sum() > 10  # the demo has before/after pairs
    for c in ("before", "after", "change"):  # the database rounds half away from zero (四舍五入), pandas to even
        assert got[c].isna().tolist() == ref[c].isna().tolist()
        assert (got[c] - ref[c]).abs().max() <= 0.0100001

    ev = T.by_event(db).set_index("id")
    per = ref.dropna(subset=["change"]).groupby(level="training_id")["change"]
    for tid, n in per.count().items():
        assert ev.loc[tid, "capability_n"] == n
        assert ev.loc[tid, "capability_change"] == pytest.approx(per.mean()[tid], abs=0.011)
    assert (ev.drop(index=per.count().index)["capability_n"] == 0).all()
    top = T.by_topic(db).set_index("topic")
    assert top["events"].sum() == len(ev) and top["capability_n"].sum() == per.count().sum()
