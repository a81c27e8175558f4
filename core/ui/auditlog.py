"""How audit rows are shown: the 审计日志 screen and each record's 修改记录 tab use the same labels."""
from __future__ import annotations

import pandas as pd

ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "import": "导入", "reset_password": "重置密码",
           "change_password": "修改密码", "backup": "备份", "export": "导出", "state": "状态变更",
           "update_frozen": "修改已冻结设置", "cancel": "取消", "declare_no_conflict": "声明无利益冲突", "done": "完成",
           "end_pairing": "结束结对", "incubation": "入壳/出壳", "lock_scores": "锁定评分", "unlock_scores": "解锁评分",
           "mark_done": "标记完成", "mark_duplicate": "标记重复", "move": "流转", "promote": "转为申报",
           "publish_notice": "发布公示", "rating": "等级评估", "recuse": "回避", "release": "拨付",
           "reopen_review": "重新打开评审", "stage_change": "阶段变更", "submit_review": "提交评分"}

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
