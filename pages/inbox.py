"""消息 (every signed-in account: the inbox, its filters, mark as read, the channels one receives on) and 提醒设置
(admins: the reminder rules, the default channels, what could not be sent, a run now). Thin: every read and write
goes through core.notify."""
import pandas as pd
import streamlit as st

from core import navigation
from core.notify import channels, inbox, job, rules, scheduler
from core.platform import users
from core.ui.confirm import confirm_button
from core.ui.links import page_link
from core.ui.session import act, attempt, require, url_tabs
from core.ui.text import md
from schemas.columns import label
from schemas.notification import CHANNELS, STATUSES, USER_CHANNELS, Notification, NotificationPref, NotificationRule

SHOWN = 50  # messages drawn at once (the newest that match the filters)
RULE_WIDTH, AUDIENCE_WIDTH = 200, 220  # px: 提醒设置's rule name and 提醒对象 columns show their text whole


def _when(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d %H:%M}" if pd.notna(value) else ""


def _message(row, who) -> None:
    unread = pd.isna(row["read_at"])
    with st.container(border=True, key=f"inbox-msg-{row['id']}"):
        head, side = st.columns([5, 1])
        head.markdown((":blue-badge[未读] " if unread else "") + f"**{md(row['subject'])}**")
        head.caption(md(f"{row['rule']} · {_when(row['created_at'])}"
                        + ("" if unread else f" · 已读于 {_when(row['read_at'])}")))
        st.markdown(md(row["body"]))
        page, params = inbox.link(row)
        if page:
            page_link(page, "打开相关记录", **params)
        if unread and side.button("标为已读", key=f"inbox:read:{row['id']}", icon=":material/done:"):
            act(lambda: inbox.mark_read(who.username, [int(row["id"])]), "")


def _list(who) -> None:
    total_unread = inbox.unread(who.username)
    cols = st.columns([1, 2, 2])
    show = cols[0].radio("显示", ["未读", "全部"], horizontal=True, key="inbox:show",
                         index=0 if total_unread else 1)
    kinds = inbox.rules_in_inbox(who.username)
    rule = cols[1].selectbox(label("rule", of=Notification), kinds, format_func=rules.rule_label, index=None,
                             placeholder="全部类型", key="inbox:rule")
    if total_unread and cols[2].button(f"全部标为已读({total_unread} 条)", key="inbox:all",
                                       icon=":material/done_all:"):
        act(lambda: inbox.mark_read(who.username), lambda n: f"已将 {n} 条消息标为已读")
    rows = inbox.messages(who.username, only_unread=show == "未读", rule=rule)
    if rows.empty:
        st.info("没有未读消息。" if show == "未读" else "还没有消息。到期提醒、逾期提醒等会出现在这里。")
        return
    st.caption(f"共 {len(rows)} 条" + (f",显示最新的 {SHOWN} 条" if len(rows) > SHOWN else ""))
    for _, row in rows.head(SHOWN).iterrows():
        _message(row, who)


def _channel_choice(who, username: str, key: str, current: tuple[str, ...], title: str) -> None:
    chosen = st.multiselect(title, list(USER_CHANNELS), default=list(current), format_func=CHANNELS.get,
                            key=key, placeholder="不接收提醒", help=label("channels", of=NotificationPref))
    if st.button("保存接收渠道", key=f"{key}:save"):
        act(lambda: rules.choose_channels(username, chosen, who), "已保存接收渠道")


def _settings(who) -> None:
    me = users.get(who.username) or {}
    st.caption(md("站内消息显示在左侧导航的「消息」中;电子邮件发送到账号登记的邮箱:"
                  + (me.get("email") or "(尚未登记邮箱,请联系管理员在「用户与角色」中填写)")))
    _channel_choice(who, who.username, "inbox:mine", rules.channels_of(who.username), "我的接收渠道")


def inbox_page() -> None:
    who = require("inbox")
    st.title("消息")
    tab_list, tab_settings = url_tabs(["消息列表", "接收设置"])
    with tab_list:
        _list(who)
    with tab_settings:
        _settings(who)


# ==== 提醒设置 (admins) ==================================================================================
def _rule_settings(who) -> None:
    rows = rules.setting_rows()
    cols = rules.SETTING_COLUMNS
    if not rules.may_set(who):
        st.dataframe(rows.drop(columns=["code"]).rename(columns=cols), hide_index=True, width="stretch")
        st.caption(users.NOT_OPERATOR_SETTING if who.has("admin") else "修改提醒规则需要管理员权限。")
        return
    edited = st.data_editor(
        rows, key="notify:rules", hide_index=True, width="stretch",
        disabled=["code", "rule", "audience", "unit", "help"],
        column_config={
            # wide enough for the longest rule name and audience at 1400 px (风险预警打开或重新打开)
            "code": None, "rule": st.column_config.TextColumn(cols["rule"], width=RULE_WIDTH),
            "audience": st.column_config.TextColumn(cols["audience"], width=AUDIENCE_WIDTH),
            "enabled": st.column_config.CheckboxColumn(cols["enabled"]),
            "lead": st.column_config.NumberColumn(cols["lead"], min_value=0, max_value=365, step=1, required=True),
            "unit": st.column_config.TextColumn(cols["unit"]),
            "repeat_days": st.column_config.NumberColumn(cols["repeat_days"], min_value=0, max_value=365, step=1,
                                                         required=True),
            "channels": st.column_config.MultiselectColumn(cols["channels"], options=list(CHANNELS),
                                                           format_func=CHANNELS.get),
            "help": st.column_config.TextColumn(cols["help"])})
    if st.button("保存提醒规则", key="notify:rules:save"):
        def save_all() -> int:
            changed = 0
            for r in edited.itertuples():
                changed += rules.save_setting(r.code, {"enabled": bool(r.enabled), "lead": int(r.lead),
                                                       "repeat_days": int(r.repeat_days),
                                                       "channels": list(r.channels or [])}, who)
            return changed
        act(save_all, lambda n: f"已保存 {n} 条提醒规则的修改" if n else "提醒规则没有变化")


def _channel_status() -> None:
    conf = channels.load()
    smtp = conf.smtp
    st.markdown("**电子邮件**:" + md(f"已配置(发件服务器 {smtp.host}:{smtp.port},{smtp.security})" if smtp
                                     else "未配置:在密钥文件中添加 [smtp] 后才会发送邮件"))
    st.markdown("**企业微信群机器人**:" + md("已配置" if conf.wecom_url else "未配置:在密钥文件中添加 [wecom] webhook_url 后才会发送"))
    for p in conf.problems:
        st.warning(md(p))
    s = scheduler.current()
    every = scheduler.every_seconds() / 60
    st.caption(md(f"自动运行:每 {every:g} 分钟一次" if every else "自动运行已关闭(HUBDESK_REMINDERS_EVERY_MINUTES=0)")
               + (f";本进程已运行 {s.runs} 次" if s else "")
               + (f";上次结果:{s.last.line()}" if s and s.last else ""))


def _failed(who) -> None:
    counts = inbox.counts(who)
    st.caption("电子邮件和企业微信群提醒的发送情况(站内消息存入即送达)")
    cols = st.columns(4)
    for col, key in zip(cols, ("sent", "pending", "failed", "gave_up")):
        col.metric(STATUSES[key], counts[key])
    failed = inbox.failures(who)
    if failed.empty:
        st.success("没有发送失败的提醒。")
        return
    shown = failed.rename(columns=inbox.FAILED_COLUMNS)
    picked = st.dataframe(shown, hide_index=True, width="stretch", key="notify:failed", on_select="rerun",
                          selection_mode="multi-row", placeholder="")
    ids = [int(failed.iloc[i]["id"]) for i in picked.selection.rows]
    st.caption(f"已选择 {len(ids)} 条" if ids else "在列表中勾选要处理的提醒")
    left, right = st.columns(2)
    with left:
        if st.button("立即重试所选提醒", key="notify:retry", disabled=not ids, icon=":material/refresh:"):
            act(lambda: inbox.retry_now(ids, who), lambda n: f"已安排 {n} 条提醒在下次运行时重试")
    with right:
        confirm_button("notify:give_up", "停止重试所选提醒", f"所选的 {len(ids)} 条提醒将不再自动重试发送",
                       lambda: inbox.give_up(ids, who), lambda n: f"已停止重试 {n} 条提醒",
                       disabled_reason=None if ids else "请先在列表中勾选要停止重试的提醒", primary=False)


def _url_path(key: str):
    spec = navigation.spec(key)
    return spec.url_path if spec else None


def admin_page() -> None:
    who = require("notify_admin")
    st.title("提醒设置")
    tab_rules, tab_failed, tab_defaults = url_tabs(["提醒规则", "发送情况", "默认接收渠道"])
    with tab_rules:
        _channel_status()
        _rule_settings(who)
        if st.button("立即运行一次提醒", key="notify:run", icon=":material/send:"):
            act(lambda: job.run(url_path=_url_path).line(), lambda line: f"已运行:{line}")
    with tab_failed:
        attempt(lambda: _failed(who))
    with tab_defaults:
        st.caption(md("未自行选择接收渠道的账号按此默认接收;" + label("lead", of=NotificationRule) + "、重复间隔在「提醒规则」中设置。"))
        _channel_choice(who, rules.DEFAULT_PREF, "notify:default", rules.default_channels(), "默认接收渠道")
