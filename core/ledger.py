"""服务台账. TO BUILD (helper)."""
from __future__ import annotations

from core.entities import Entity, register
from schemas.monitoring import Activity

STAFF = frozenset({"admin", "staff"})

ACTIVITY = register(Entity(
    name="activity", table="activities", label="服务活动", schema=Activity, write_roles=STAFF, title_field="title",
))
