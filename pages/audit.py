"""审计日志 (admin): filter the audit log, verify its hash chain; 备份与恢复 (back up now, list backups,
download a full export; restoring stays a command-line step with the server stopped)."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.platform import audit, backup, config, export, users
from core.platform.db import get_db
from core.platform.errors import HubError
from core.ui.auditlog import action_label, audit_frame, target_label
from core.ui.session import require
from core.ui.tables import display_frame
from core.ui.text import md


def render() -> None:
    who = require("audit")
    st.title("审计日志")
    db = get_db()
    keep = users.audit_hubs(who, db)  # a hub's admin: the writes to their hubs' records; the top hub's: every row
    if keep is not None:
        st.caption("显示本枢纽(及下级枢纽)记录的修改;备份、账号登录等全系统的记录由最上级枢纽的管理员查看。")
    accounts = users.list_users(db)
    people = dict(zip(accounts["username"], accounts["name"])) | {"system": "系统"}
    cols = st.columns(4)
    actor = cols[0].selectbox("操作人", audit.distinct(db, "actor", keep), index=None, placeholder="全部", key="audit:actor",
                              format_func=lambda u: people.get(u, u))
    table = cols[1].selectbox("对象", sorted(audit.distinct(db, "table_name", keep), key=target_label), index=None, placeholder="全部", key="audit:table",
                              format_func=target_label)
    action = cols[2].selectbox("动作", audit.distinct(db, "action", keep), index=None, placeholder="全部", key="audit:action",
                               format_func=action_label)
    key = cols[3].text_input("记录编号", key="audit:key", placeholder="例如 56 或 staff")
    cols = st.columns(3)
    since = cols[0].date_input("起始日期", value=None, key="audit:since", format="YYYY-MM-DD")
    until = cols[1].date_input("截止日期", value=None, key="audit:until", format="YYYY-MM-DD")
    text = cols[2].text_input("内容包含", key="audit:text", placeholder="修改前后的任意文字")
    size = 100
    signature = (actor, table, action, key, since, until, text)
    if st.session_state.get("audit:sig") != signature:  # new filters: back to the first page
        st.session_state["audit:sig"] = signature
        st.session_state["audit:page"] = 1
    page = int(st.session_state.get("audit:page", 1))
    df, total = audit.query(
        db, actor=actor, table=table, action=action, key=key.strip() or None,
        since=dt.datetime.combine(since, dt.time()) if since else None,
        until=dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1) if until else None,
        text=text.strip() or None, limit=size, offset=(int(page) - 1) * size, hubs=keep,
    )
    pages = max(1, -(-total // size))
    if page > pages:  # e.g. a narrower filter: show its last page instead of an empty one
        st.session_state["audit:page"] = page = pages
        st.rerun()
    info = st.columns([3, 1])
    info[0].caption(f"共 {total} 条,第 {page}/{pages} 页(每页 {size} 条)")
    info[1].number_input("页码", min_value=1, max_value=pages, step=1, key="audit:page", label_visibility="collapsed")
    if total == 0:
        st.info("没有符合条件的审计记录:请放宽筛选条件。")
    st.dataframe(display_frame(audit_frame(df, people=people)), hide_index=True, width="stretch", placeholder="",
                 column_config={"修改内容": st.column_config.TextColumn(width="large")})
    st.divider()
    if keep is not None:  # the chain, the backups and the full export hold every hub's records
        st.info(users.NOT_OPERATOR)
        return
    if st.button("校验审计日志完整性", key="audit:verify", icon=":material/verified:"):
        from core.platform import backup, config

        report = audit.verify(db, backup.audit_anchors(config.load().backup_dir, db.path.stem))
        if report.ok:
            st.success(f"完整:共 {report.rows} 条记录,哈希链无断裂。")
        else:
            st.error(f"发现问题:第 {report.first_bad_id} 条,{report.reason}")
    st.divider()
    _backups(db, who)


def _backups(db, who) -> None:
    st.subheader("备份与恢复")
    s = config.load()
    when = "、".join(filter(None, ["每次启动时" if s.backup_on_start else "",
                                   f"运行中每 {s.backup_every_hours:g} 小时" if s.backup_every_hours else ""]))
    st.caption(md(f"自动备份:{when or '已关闭'};保留最近 {s.backup_keep} 份;位置 {s.backup_dir}"))
    auto = backup.current_auto()
    if auto is not None and auto.last_error:
        st.warning(md(f"最近一次自动备份失败:{auto.last_error}"))
    if st.button("立即备份", key="backup:now", icon=":material/backup:"):
        try:
            path = backup.backup_now(db, who, s)
            st.success(md(f"已备份并校验:{path.name}"))
        except HubError as exc:
            st.error(md(exc))
    found = backup.backups(s.backup_dir, db.path.stem)
    if found:
        st.dataframe(pd.DataFrame([{"备份文件": f.name, "时间": f.taken_at.replace(microsecond=0),
                                    "大小(MB)": round(f.size / 1024 / 1024, 1),
                                    "类型": "升级前" if f.kind == "before-migration" else "定期/手动"} for f in found]),
                     hide_index=True, width="stretch")
    else:
        st.caption("还没有备份。")
    cols = st.columns([2, 1])
    fmt = cols[0].radio("完整导出(全部数据表)", list(export.DOWNLOAD_FORMATS), horizontal=True, key="backup:fmt",
                        format_func=lambda k: export.DOWNLOAD_FORMATS[k][0])
    if cols[1].button("生成完整导出", key="backup:export", icon=":material/download:"):
        try:
            st.session_state["backup:file"] = export.download(db, who, fmt)
        except HubError as exc:
            st.error(md(exc))
    ready = st.session_state.get("backup:file")
    if ready:
        st.download_button(f"下载 {ready[0]}", data=ready[1], file_name=ready[0], key="backup:download",
                           icon=":material/file_download:")
    st.info("恢复备份要在服务器命令行执行,并且先停止 HubDesk 服务:"
            "`python3 -m core.manage restore 备份文件`(步骤见 docs/deploy.md 的“恢复演练”)。")
