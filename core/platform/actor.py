"""Who is acting: every write names its actor, and the write path checks the actor's roles and hub.

An actor belongs to one hub (``hub_id``: a street's, a district's or the city's centre, ``core.orgs.hubs``) and reads
the records of its ``scope``: its own hub and, for a user of a 区 or 市 hub, every hub below it (computed from the tree
when the user signs in). It writes only the records of its own hub: a district's or the city's roll-up is read-only.
An actor made without a hub belongs to the default hub (the one hub of a single-hub install, created by migration
024), so every caller written before hubs existed keeps working as before.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

DEFAULT_HUB = 1  # the hub migration 024 creates (本中心): every record of a single-hub install belongs to it
# a record about an account (its sign-ins, sessions, security events) is of the account's hub (``Entity.hub_via``):
# its audit rows are read by that hub's admins; an account of another hub is not theirs to unlock or sign out
VIA_ACCOUNT = ("username", "SELECT hub_id FROM users WHERE username = ?")


@dataclass(frozen=True)
class Actor:
    username: str
    roles: tuple[str, ...] = ()
    hub_id: int = DEFAULT_HUB
    scope: frozenset[int] = field(default=frozenset())  # the hubs it reads; empty: its own hub alone

    def __post_init__(self) -> None:
        if "system" in self.roles and self.username != "system":
            # no person acts with the system's rights: a user's own writes are allowed by the entity's row
            # rules (core.platform.entities.Rule), never by borrowing the system's role
            raise ValueError(f"the system role belongs to the system actor only, not to {self.username!r}")
        object.__setattr__(self, "scope", frozenset(self.scope) | {self.hub_id})

    @property
    def system(self) -> bool:
        """The application itself (start-up, demo data, sign-in bookkeeping, the clock), acting for no user."""
        return self.username == "system" and "system" in self.roles

    def has(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))

    def reads(self, hub_id: int | None) -> bool:
        """May it read a record of ``hub_id`` (its own hub or one below it)? The system reads everything."""
        return self.system or hub_id in self.scope

    def writes(self, hub_id: int | None) -> bool:
        """May it write a record of ``hub_id``? Only of its own hub (the roll-up above it is read-only)."""
        return self.system or hub_id == self.hub_id

    @property
    def hubs(self) -> tuple[int, ...] | None:
        """The hubs a scoped read keeps (``hub_id IN (...)``), in order; None for the system (every hub)."""
        return None if self.system else tuple(sorted(self.scope))


SYSTEM = Actor("system", ("system",))

# The signed-in user of the script run in progress (set by the sign-in gate, core.ui.auth, on every run): what a
# choice list that lives in the database reads to offer only the records of the user's hubs (the organisations of
# a form's picker). None outside a screen (start-up, demo data, the command line, core tests): every record.
_ACTING: ContextVar[Actor | None] = ContextVar("hubdesk_acting", default=None)


def acting() -> Actor | None:
    """The actor of the screen being drawn, or None outside a screen."""
    return _ACTING.get()


def act_as(actor: Actor | None) -> None:
    """Declare the actor of this script run (the sign-in gate does, once per run)."""
    _ACTING.set(actor)
