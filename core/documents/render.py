"""Rendering a Word template (``templates/docx/<name>.docx``) with docxtpl.

The templates are ordinary .docx files with Jinja tags (``{{ title }}``, table rows between ``{%tr for r in rows %}``
and ``{%tr endfor %}``); staff open one in Word, change the wording, the layout or the letterhead, keep the tags,
and save it under the same name (``templates/docx/README.md``). The context holds **text only**, already formatted
for a reader (:func:`cn_date`, :func:`yuan`, :func:`text`): names (never usernames or ids), money with thousands
separators, Chinese dates, "—" for an empty value. Rendering uses Jinja's autoescape, so a value such as
``{{ x }}``, ``=1+1`` or ``<b>&`` prints literally (a value is never evaluated as a template or as XML).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from core.platform import formats
from core.platform.errors import HubError

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE_DIR = ROOT / "templates" / "docx"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"


class TemplateMissing(HubError):
    """A template file is missing or cannot be read as a Word document."""


def template_path(name: str) -> Path:
    return TEMPLATE_DIR / f"{name}.docx"


def cn_date(value, empty: str = formats.EMPTY) -> str:
    """2026-12-07 -> "2026年12月7日" (a datetime with a time of day keeps it: "2026年12月7日 09:30")."""
    if formats.is_empty(value):
        return empty
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    day = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        day += f" {value:%H:%M}"
    return day


def yuan(value, empty: str = formats.EMPTY) -> str:
    """24800.5 -> "24,800.50"; the template writes the unit (元)."""
    return formats.money(value, empty=empty)


def text(value, empty: str = formats.EMPTY) -> str:
    """Any value as a reader's text (dates in Chinese, lists joined with 、, empty as "—")."""
    if isinstance(value, (dt.date, dt.datetime)) or hasattr(value, "to_pydatetime"):
        return cn_date(value, empty)
    return formats.text(value, empty)


def pairs(rows) -> list[dict]:
    """(label, value) rows as the templates' two-column tables read them: ``{{ r.label }}``, ``{{ r.value }}``."""
    return [{"label": str(label), "value": value if isinstance(value, str) else text(value)} for label, value in rows]


@dataclass(frozen=True)
class Picture:
    """A PNG/JPEG placed in the document where the template prints this value (``{{ chart.image }}``)."""
    data: bytes
    width_mm: float = 150


def _resolve(value, tpl):
    """The context with every :class:`Picture` turned into docxtpl's inline picture of ``tpl``."""
    if isinstance(value, Picture):
        from docx.shared import Mm  # noqa: PLC0415 - python-docx/lxml: loaded on the first document only
        from docxtpl import InlineImage  # noqa: PLC0415 - as above

        return InlineImage(tpl, io.BytesIO(value.data), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {k: _resolve(v, tpl) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve(v, tpl) for v in value]
    return value


def render(name: str, context: dict) -> bytes:
    """The template ``name`` filled with ``context`` (autoescaped), as .docx bytes."""
    from docxtpl import DocxTemplate  # python-docx/lxml: loaded on the first document, not at app start

    path = template_path(name)
    if not path.exists():
        raise TemplateMissing(f"文书模板 {path.name} 不存在:请把模板放回 templates/docx/ 后重试")
    try:
        tpl = DocxTemplate(str(path))
        tpl.render(_resolve(context, tpl), autoescape=True)
    except HubError:
        raise
    except Exception as exc:  # a template edited into something docxtpl cannot read
        raise TemplateMissing(f"文书模板 {path.name} 无法使用({type(exc).__name__}):请检查模板中的 {{{{ }}}} 标记"
                              "是否完整,或换回原模板") from exc
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
