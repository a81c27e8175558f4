"""用户与角色 → 登录与锁定: a user's live sign-in sessions (client, browser, last seen) with 结束, all of them
with 全部结束, and the username's lock with 解锁. Admins only (the write path checks it again)."""
from __future__ import annotations

import streamlit as st

from core.platform import formats, lockout, sessions
from core.platform.actor import Actor
from core.ui.confirm import confirm_button
from core.ui.session import act
from core.ui.text import md


def sessions_panel(username: str, who: Actor) -> None:
    st.markdown("**登录会话**")
    live = sessions.active(username)
    if live.empty:
        st.caption("该账号目前没有有效的登录会话。")
    else:
        for row in live.itertuples():
            cols = st.columns([3, 3, 2, 1])
            cols[0].text(f"登录于 {formats.date(row.created_at)} · 最近活动 {formats.date(row.last_seen)}")
            cols[1].text(f"{row.client or '地址未知'} · {(row.user_agent or '浏览器未知')[:60]}")
            cols[2].text(f"有效至 {formats.date(row.expires_at)}")
            if cols[3].button("结束", key=f"users:end:{row.id[:16]}", help="结束这个会话:该浏览器需要重新登录"):
                act(lambda digest=row.id: sessions.revoke_one(digest, who), "已结束该登录会话")
        confirm_button("users:end_all", "结束全部会话",
                       f"账号 {username} 在所有浏览器和设备上的登录都将立即失效,需要重新登录",
                       lambda: sessions.revoke_all(username, who, "admin_ended"),
                       ok=f"已结束账号 {username} 的全部登录会话", primary=False, icon=":material/logout:")
    lock = lockout.status(username)
    st.markdown("**登录锁定**")
    if lock.locked:
        st.warning(md(f"该账号因连续登录失败已被锁定,至 {lock.until:%H:%M} 自动解锁。"))
        if st.button("解锁", key="users:unlock", icon=":material/lock_open:"):
            act(lambda: lockout.unlock(username, who), f"已解锁账号 {username}")
    else:
        st.caption(f"未锁定(15 分钟内失败 {lock.failures} 次;连续失败 5 次将锁定 15 分钟)。")
