"""Password policy, generation and bcrypt hashing (compatible with streamlit-authenticator's check)."""
from __future__ import annotations

import secrets
import string

import bcrypt
from zxcvbn import zxcvbn

from core.platform import config

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt's limit
MIN_SCORE = 3  # zxcvbn's estimate: 3 = "safely unguessable: moderate protection from offline attacks"
# The rules in one place, as shown next to every password field.
RULES = (f"密码至少{MIN_LENGTH}个字符,须包含大写字母、小写字母、数字、符号中的至少两类,不能与用户名或姓名相同,"
         "也不能是常见密码、常见单词或简单规律(如 password12、Abc1234567、2026年份加姓名)——"
         "系统会估算密码被猜中的难易程度,容易猜中的密码不能使用。")


def _classes(pw: str) -> int:
    return sum([
        any(c.islower() for c in pw),
        any(c.isupper() for c in pw),
        any(c.isdigit() for c in pw),
        any(not c.isalnum() for c in pw),
    ])


def problems(password: str, username: str = "", *, name: str = "") -> list[str]:
    """Chinese reasons the password is refused (empty when it is acceptable)."""
    out = []
    if len(password) < MIN_LENGTH:
        out.append(f"密码至少需要{MIN_LENGTH}个字符")
    if len(password.encode("utf-8")) > MAX_BYTES:
        out.append("密码过长(最多72字节)")
    if password != password.strip():
        out.append("密码首尾不能有空格")
    if password and _classes(password) < 2:
        out.append("密码须包含大写字母、小写字母、数字、符号中的至少两类")
    if username and password.strip().lower() == username.strip().lower():
        out.append("密码不能与用户名相同")
    if not out and password:
        hints = [h for h in (username, name, "hubdesk", "枢纽台") if h]
        if zxcvbn(password[:MAX_BYTES], user_inputs=hints)["score"] < MIN_SCORE:
            out.append("密码太容易被猜到(常见密码、常见单词、用户名或简单规律),请换一个更长、更少见的组合,"
                       "例如几个不相关的词加数字和符号")
    return out


def generate(length: int = 14) -> str:
    """A random password that satisfies the policy (shown to the admin once)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if _classes(pw) >= 3:
            return pw


def hash_password(password: str) -> str:
    rounds = config.load().bcrypt_rounds
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def check(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False
