"""Show stored text as text: Streamlit renders markdown in messages, captions and labels."""
from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:])")


def md(text: object) -> str:
    """Escape markdown (and HTML angle brackets) so user text is displayed literally."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
