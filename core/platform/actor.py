"""Who is acting: every write names its actor, and the write path checks the actor's roles."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "system" in self.roles and self.username != "system":
            # no person acts with the system's rights: a user's own writes are allowed by the entity's row
            # rules (core.platform.entities.Rule), never by borrowing the system's role
            raise ValueError(f"the system role belongs to the system actor only, not to {self.username!r}")

    @property
    def system(self) -> bool:
        """The application itself (start-up, demo data, sign-in bookkeeping, the clock), acting for no user."""
        return self.username == "system" and "system" in self.roles

    def has(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))


SYSTEM = Actor("system", ("system",))
