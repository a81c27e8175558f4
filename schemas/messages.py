"""Chinese messages for Pandera check failures, keyed by the check's name."""
from __future__ import annotations

import re

from schemas.base import EARLIEST_DATE, latest_date

_TEMPLATES = {
    "not_nullable": "请填写{label}",
    "uscc": "{label}无效:应为18位数字或大写字母(不含I、O、Z、S、V),且最后一位校验码正确",
    "phone_cn": "{label}无效:请填写中国大陆手机号(11位)或带区号的固定电话",
    "not_future": "{label}不能晚于今天",
    "plain_text": "{label}不能包含控制字符",
    "in_choices": "请从列表中选择{label}",
    "isin": "请从列表中选择{label}",
    "subset_of": "{label}含有不在列表中的选项",
    "text_lines": "{label}每行须为1–100个字符的文字",
    "score_step": "{label}须为整数分或半分(按批次设置)",
    "money": "{label}须为不小于0的金额(元),最多两位小数",
    "coerce_dtype": "{label}格式不正确",
    "dtype": "{label}格式不正确",
    "str_matches": "{label}格式不正确",
    "field_uniqueness": "{label}重复",
    "column_in_dataframe": "缺少{label}",
    "halfwidth": "{label}含有全角字符(如中文标点或汉字),请改用半角数字和字母",
}


def _args(check: str) -> list[str]:
    m = re.search(r"\((.*)\)\s*$", check)
    if not m:
        return []
    return [a.strip().strip("'\"") for a in m.group(1).split(",") if a.strip()]


def _num(text: str) -> str:
    try:
        f = float(text)
    except ValueError:
        return text.split(" ")[0]  # timestamps: keep the date part
    return str(int(f)) if f.is_integer() else str(f)


def message(check: str, label: str, widget: str = "text") -> str:
    name = check.split("(")[0].strip()
    args = _args(check)
    if name == "date_range":
        return f"{label}应在{EARLIEST_DATE.date().isoformat()}至{latest_date().isoformat()}之间,请核对年份"
    if widget == "date" and name in ("greater_than_or_equal_to", "less_than_or_equal_to") and args:
        return f"{label}不能{'早' if name.startswith('greater') else '晚'}于{_num(args[0])}"
    if name == "not_nullable" and widget in {"select", "multiselect", "date"}:
        return f"请选择{label}"
    if name == "str_length":
        lo, hi = (args + ["None", "None"])[:2]
        if lo not in ("None", "0", "1") and hi != "None":
            return f"{label}长度应为{lo}–{hi}个字符"
        if hi != "None":
            return f"{label}不能超过{hi}个字符"
        return f"{label}至少需要{lo}个字符"
    if name == "greater_than_or_equal_to" and args:
        return f"{label}不能小于{_num(args[0])}"
    if name == "less_than_or_equal_to" and args:
        return f"{label}不能大于{_num(args[0])}"
    if name == "greater_than" and args:
        return f"{label}必须大于{_num(args[0])}"
    if name == "less_than" and args:
        return f"{label}必须小于{_num(args[0])}"
    if name == "in_range" and len(args) >= 2:
        return f"{label}应在{_num(args[0])}到{_num(args[1])}之间"
    if name in _TEMPLATES:
        return _TEMPLATES[name].format(label=label)
    return f"{label}不符合要求"
