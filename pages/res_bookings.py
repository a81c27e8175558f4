"""资源与需求 · 场地设备预约: book a venue or equipment for an organisation, approve / refuse / cancel, record the
activity it was used for, the calendar per venue and per community, and the venues' utilisation (idle venues).
Thin: every rule and figure is in core.resources.bookings; leaders read the calendar and utilisation
(:func:`calendar`, a page that writes nothing)."""
import datetime as dt

import streamlit as st

from core.platform import entities
from core.resources import bookings
from core.ui.forms import schema_form
from core.ui.session import act, attempt, require, url_tabs
from core.ui.tables import table
from core.ui.text import md
from schemas import choices
from schemas.booking import Booking, Decision
from schemas.columns import label

LIST = bookings.LIST_COLUMNS
UTIL = bookings.UTILISATION_COLUMNS
# the calendar's cells keep their line breaks
CELL_CSS = "<style>[data-testid='stTable'] td { white-space: pre-line; vertical-align: top; }</style>"


def render() -> None:
    """Staff and admins: book, approve / refuse / cancel, record the use; the calendar and utilisation too."""
    who = require("res_bookings")
    st.title("场地设备预约")
    pending = bookings.pending_count()
    st.caption(f"待审批预约 {pending} 条" if pending else "暂无待审批预约")
    labels = ["预约登记", "预约与审批", "预约日历", "使用率"]
    tabs = dict(zip(labels, url_tabs(labels)))
    if tabs["预约登记"].open:
        with tabs["预约登记"]:
            _new(who)
    if tabs["预约与审批"].open:
        with tabs["预约与审批"]:
            _list(who, entities.may(who, bookings.BOOKING, "update"))
    _read_tabs(tabs)


def calendar() -> None:
    """Leaders (and staff): the calendar per community and per venue, utilisation and idle venues; read only."""
    require("res_booking_calendar")
    st.title("场地日历与使用率")
    labels = ["预约日历", "使用率"]
    _read_tabs(dict(zip(labels, url_tabs(labels))))


def _read_tabs(tabs: dict) -> None:
    if tabs["预约日历"].open:
        with tabs["预约日历"]:
            _calendar()
    if tabs["使用率"].open:
        with tabs["使用率"]:
            _utilisation()


def _new(who) -> None:
    st.caption("预约场地或设备(二选一);同一场地同一时段只能有一条待审批或已批准的预约,设备借用数量不能超过可借数量。")
    schema_form(Booking, "booking-new", lambda v: f"已提交预约(编号 {bookings.book(v, who)}),等待审批",
                submit_label="提交预约",
                defaults={"booking_date": dt.date.today() + dt.timedelta(days=1), "start_time": "09:00",
                          "end_time": "11:00"})


def _list(who, writes: bool) -> None:
    c = st.columns(3)
    state = c[0].selectbox("状态", [None, *bookings.BOOKING_STATES], key="bk:state", placeholder="全部状态",
                           format_func=lambda v: "全部状态" if v is None else bookings.BOOKING_STATES[v])
    community = c[1].selectbox("所属社区", [None, *choices.get("communities")], key="bk:community",
                               format_func=lambda v: "全部社区" if v is None else v)
    df = bookings.bookings(state=state, community=community)
    if df.empty:
        st.info("没有符合条件的预约。")
        return
    table(df[list(LIST)], "场地设备预约", key="bk:list", columns=dict(LIST))
    names = {int(r.id): f"编号 {r.id} · {r.item} · {r.booking_date:%Y-%m-%d} {r.start_time}-{r.end_time} · {r.org}"
             for r in df.itertuples()}
    pick = st.selectbox("选择预约办理", list(names), format_func=names.get, key="bk:pick", index=None,
                        placeholder="选择一条预约")
    if pick is None:
        return
    row = df[df["id"] == pick].iloc[0]
    st.markdown(f"**{md(names[pick])}({row['state_label']})**  \n用途:{md(row['purpose'])}  \n"
                f"预约人:{md(row['contact_person'])}"
                + (f"  \n原因:{md(row['reason'])}" if isinstance(row["reason"], str) and row["reason"] else ""))
    if not writes:
        return
    if row["state"] == "pending":
        if st.button("批准", type="primary", key=f"bk:approve:{pick}"):
            act(lambda: bookings.approve(pick, who), f"已批准预约(编号 {pick})", once=("approve", pick))
    if row["state"] in bookings.HOLDING:
        with st.form(f"bk:decide:{pick}", clear_on_submit=False, enter_to_submit=False):
            reason = st.text_area(label("reason", of=Decision), key=f"bk:reason:{pick}",
                                  placeholder="不予批准或取消时必填,将告知预约组织")
            b = st.columns(4)
            no = b[0].form_submit_button("不予批准") if row["state"] == "pending" else False
            drop = b[1].form_submit_button("取消预约")
        if no:
            act(lambda: bookings.reject(pick, reason, who), f"预约(编号 {pick})未批准", once=("reject", pick))
        if drop:
            act(lambda: bookings.cancel(pick, reason, who), f"预约(编号 {pick})已取消", once=("cancel", pick))
    if row["state"] == "approved" and row["venue_id"] == row["venue_id"]:  # a venue (not NaN)
        options = bookings.activities_for(pick)
        if not options:
            st.caption("服务台账中还没有当天的活动;活动登记后可在此关联。")
            return
        activity = st.selectbox("对应服务活动", list(options), format_func=options.get, key=f"bk:act:{pick}",
                                index=None, placeholder="选择当天的服务活动")
        if st.button("登记使用情况", key=f"bk:use:{pick}", disabled=activity is None):
            act(lambda: bookings.record_use(pick, activity, who), "已登记使用情况,活动已关联该场地",
                once=("use", pick))


def _calendar() -> None:
    st.html(CELL_CSS)  # a module constant: the calendar cells keep their line breaks
    view = st.radio("查看", ["按社区(周)", "按场地(月)"], horizontal=True, key="bk:view")
    today = dt.date.today()
    if view == "按社区(周)":
        c = st.columns(2)
        community = c[0].selectbox("所属社区", choices.get("communities"), key="bk:cal:community")
        day = c[1].date_input("所在周的任一天", value=today, key="bk:cal:day", format="YYYY-MM-DD")
        monday = bookings.week_start(day)
        st.subheader(f"{community} · {bookings.day_label(monday)} 起一周")
        grid = attempt(lambda: bookings.community_week(community, monday))
        if grid is not None and grid.empty:
            st.info("该社区还没有登记场地。")
        elif grid is not None:
            st.table(grid.set_index("场地"))
    else:
        venues = choices.get("venues")
        if not venues:
            st.info("还没有登记场地。")
            return
        c = st.columns(3)
        venue = c[0].selectbox("场地", venues, format_func=choices.formatter("venues"), key="bk:cal:venue")
        year = c[1].number_input("年", min_value=2015, max_value=today.year + 2, value=today.year, key="bk:cal:year")
        month = c[2].selectbox("月", list(range(1, 13)), index=today.month - 1, format_func=lambda m: f"{m}月",
                               key="bk:cal:month")
        st.subheader(f"{choices.label('venues', venue)} · {int(year)}年{month}月")
        st.table(bookings.venue_month(venue, int(year), month).set_index("周次"))
    st.caption("日历显示待审批和已批准的预约。")


def _utilisation() -> None:
    today = dt.date.today()
    c = st.columns(3)
    start = c[0].date_input("起始日期", value=today.replace(day=1) - dt.timedelta(days=90), key="bk:u:start",
                            format="YYYY-MM-DD")
    end = c[1].date_input("截止日期", value=today, key="bk:u:end", format="YYYY-MM-DD")
    below = c[2].number_input("闲置标准:使用率低于(%)", min_value=1, max_value=100, value=20, key="bk:u:below")
    if end < start:
        st.error("截止日期不能早于起始日期,请重新选择。")
        return
    df = bookings.utilisation(start, end)
    idle = bookings.idle_venues(start, end, below / 100)
    st.subheader(f"闲置场地(使用率低于 {below}%):{len(idle)} 个")
    if idle.empty:
        st.caption("所选期间没有闲置场地。")
    else:
        st.markdown(md("、".join(f"{r.name}({r.rate:.0%})" for r in idle.itertuples())))
    st.subheader("各场地使用率")
    st.caption(f"{bookings.day_label(start)} 至 {bookings.day_label(end)};使用率 = 已批准预约小时数 ÷ 开放小时数")
    table(df[list(UTIL)], "场地使用率", key="bk:util", columns=dict(UTIL))
