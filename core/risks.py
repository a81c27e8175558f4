"""风险预警. TO BUILD (helper)."""
from __future__ import annotations

from core.entities import Entity, register
from schemas.monitoring import RiskAck

STAFF = frozenset({"admin", "staff"})

RISK_ACK = register(Entity(
    name="risk_ack", table="risk_acks", label="预警处理", schema=RiskAck, write_roles=STAFF, title_field="code",
))
RISK_SETTING = register(Entity(
    name="risk_setting", table="risk_settings", label="预警规则设置", write_roles=frozenset({"admin"}),
    key="code", key_generated=False, title_field="code", stamps=False,
))
