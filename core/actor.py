"""Who is acting: every write names its actor, and the write path checks the actor's roles."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    roles: tuple[str, ...] = ()

    def has(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))


SYSTEM = Actor("system", ("system",))
