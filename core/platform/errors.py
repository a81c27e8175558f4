"""Exceptions that carry a message fit to show a user (in Chinese)."""
from __future__ import annotations

from dataclasses import dataclass, field


class HubError(Exception):
    """Base class: ``str(exc)`` is a Chinese message fit for the UI."""


@dataclass
class ValidationFailed(HubError):
    """A record was refused. ``fields`` maps a field name to its messages; ``form`` holds the rest."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    form: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def summary(self) -> str:
        parts = [m for msgs in self.fields.values() for m in msgs] + list(self.form)
        return ";".join(parts) or "提交的数据未通过校验"

    @classmethod
    def one(cls, field_name: str | None, message: str) -> "ValidationFailed":
        if field_name is None:
            return cls(form=[message])
        return cls(fields={field_name: [message]})


class PermissionDenied(HubError):
    """The signed-in user's role does not allow this action."""


class NotFound(HubError):
    """The record asked for does not exist."""


class DatabaseUnavailable(HubError):
    """The database file cannot be opened (held by another process, unreadable, ...)."""


class WriteFailed(HubError):
    """A write could not be completed; nothing was changed.

    ``reason`` says why: ``disk_full`` (no space, quota or file size limit), ``read_only`` (read-only
    folder, file or mount, or no write permission) or ``io`` (any other failed write)."""

    def __init__(self, message: str, reason: str = "io"):
        super().__init__(message)
        self.reason = reason
