"""资金: tranche releases (资金拨付) gated by evaluations, expenses per budget line, 经费执行率.

TO BUILD (helper): see the module API in the task; entities are declared here already.
"""
from __future__ import annotations

from core.entities import Entity, Unique, register
from schemas.monitoring import Expense

STAFF = frozenset({"admin", "staff"})

TRANCHE = register(Entity(
    name="tranche", table="tranches", label="拨付计划", write_roles=STAFF, title_field="seq",
))
EXPENSE = register(Entity(
    name="expense", table="expenses", label="经费支出", schema=Expense, write_roles=STAFF, title_field="voucher_no",
))
