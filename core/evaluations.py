"""中期/末期评估. TO BUILD (helper)."""
from __future__ import annotations

from core.entities import Entity, register

STAFF = frozenset({"admin", "staff"})

EVALUATION = register(Entity(
    name="evaluation", table="evaluations", label="项目评估", write_roles=STAFF, title_field="kind",
))
