"""What every demo builder shares."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from core.platform import config, passwords, records
from core.platform.actor import Actor
from core.platform.errors import ValidationFailed
from core.platform.users import USER
from core.platform.validation import to_failure, validate_many
from schemas.user import UserAccount


def checked(model, rows: list[dict], what: str) -> dict[int, dict]:
    """The demo rows validated by their schema (valid rows by position); a demo row the schema refuses is a
    defect of the builder, raised at once with its messages (never written)."""
    valid, errors = validate_many(model, rows)
    if errors:
        raise RuntimeError(f"demo {what} invalid: {to_failure(errors)} {errors[:5]}")
    return valid


_hashing = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hubdesk-demo-bcrypt")
_hashes: dict[tuple[str, int], Future] = {}


def _key(pw: str) -> tuple[str, int]:
    return pw, config.load().bcrypt_rounds


def hash_soon(*secrets: str) -> None:
    """Start hashing the demo passwords now, in threads (bcrypt is slow on purpose and lets the other threads
    run meanwhile): the accounts written later wait only for what is not done yet. Each password once per
    process (a shared hash per password, as the README's table gives them)."""
    for pw in secrets:
        if _key(pw) not in _hashes:
            _hashes[_key(pw)] = _hashing.submit(passwords.hash_password, pw)


def create_accounts(db, accounts: list[tuple[dict, str]], actor: Actor) -> int:
    """Demo accounts ``(values, password)`` as :func:`core.platform.users.create` writes them (the schema, the
    password policy, ``is_demo``), but validated together, each password checked and hashed once, and written
    in one audited batch."""
    if not accounts:
        return 0
    valid = checked(UserAccount, [values for values, _ in accounts], "accounts")
    for pw in dict.fromkeys(pw for _, pw in accounts):
        values = next(v for v, p in accounts if p == pw)
        problems = passwords.problems(pw, values["username"], name=values.get("name") or "")
        if problems:
            raise ValidationFailed(fields={"username": problems})
    hash_soon(*(pw for _, pw in accounts))
    system = [{"password_hash": _hashes[_key(pw)].result(), "is_demo": True, "created_at": datetime.now()}
              for _, pw in accounts]
    return len(records.create_many(USER, [valid[i] for i in range(len(accounts))], actor, system=system, db=db))

