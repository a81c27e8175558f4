"""How audit rows are shown: the 审计日志 screen and each record's 修改记录 tab use the same labels."""
from __future__ import annotations

import pandas as pd

ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "import": "导入", "reset_password": "重置密码",
           "change_password": "修改密码"}

COLUMNS = {"id": "序号", "logged_at": "时间", "actor": "操作人", "table_name": "数据表", "row_key": "记录编号",
           "action": "动作", "note": "说明", "before_json": "修改前", "after_json": "修改后"}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def audit_frame(df: pd.DataFrame, *, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """``core.audit.query`` rows with Chinese headers and action names (``drop``: columns not needed)."""
    df = df.drop(columns=[c for c in drop if c in df.columns])
    if "action" in df.columns:
        df = df.assign(action=df["action"].map(action_label))
    return df.rename(columns=COLUMNS)
