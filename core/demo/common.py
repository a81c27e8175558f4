"""What every demo builder shares."""
from __future__ import annotations

from core.platform.validation import to_failure, validate_many


def checked(model, rows: list[dict], what: str) -> dict[int, dict]:
    """The demo rows validated by their schema (valid rows by position); a demo row the schema refuses is a
    defect of the builder, raised at once with its messages (never written)."""
    valid, errors = validate_many(model, rows)
    if errors:
        raise RuntimeError(f"demo {what} invalid: {to_failure(errors)} {errors[:5]}")
    return valid
