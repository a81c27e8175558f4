"""能力建设: 能力培训 (events, sign-in by form or sheet, feedback, effectiveness per event and topic) and
能力评估 (assessment form per instrument version, organisation profile with radar, trend and
recommendations, cohort views, instrument and support-map editors). Thin: figures come from
core.incubation.trainings / core.incubation.assessments; each screen checks its role first."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.incubation import assessments as acore, trainings as tcore
from core.monitoring import projects
from core.orgs import hubs, organisations
from core.platform import formats
from core.ui import charts
from core.ui.confirm import confirm_button
from core.ui.editor import child_editor, child_rows
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.listview import list_view
from core.ui.kept_tabs import opened
from core.ui.session import flash, require, url_tabs
from core.ui.tables import paged_table, table
from core.ui.text import md
from schemas.capability import Attendance, Feedback, Instrument, SupportMapping, Training


def _joined(items) -> str:
    return "、".join(items) if items else "—"


def _url_id(name: str) -> int | None:
    raw = st.query_params.get(name, "")
    return int(raw) if raw.isdigit() else None


# ==== 能力培训 ======================================================================================
def trainings() -> None:
    who = require("trainings")
    st.title("能力培训")
    tab_list, tab_new, tab_effect = url_tabs(["培训列表", "新建培训", "培训成效"])
    with tab_list:
        selected = list_view(tcore.LIST_VIEW, "trainings", title="能力培训")  # the selection is in the URL (?id=)
        if selected is None:
            st.caption("在表格中选择一场培训,登记签到、导入签到表、录入或导入反馈。")
        else:
            _training(int(selected), who)
    with tab_new:
        st.caption("带 * 的为必填项。")
        schema_form(Training, "training_new", lambda v: f"已创建培训「{(v.get('title') or '').strip()}」"
                    f"(编号 {tcore.create(v, who)}),在「培训列表」中选择它登记签到",
                    submit_label="创建培训")
    if tab_effect.open:  # computed only when shown
        with tab_effect:
            _effectiveness()


def _training(tid: int, who) -> None:
    t = tcore.get(tid)
    if t is None:
        st.warning("该培训不存在。")
        return
    st.divider()
    st.subheader(md(t["title"]))
    att = tcore.attendance(tid)
    cap = t["capacity"]
    facts = [t["kind"], t["topic"], formats.date(t["training_date"]), f"授课:{formats.text(t['trainer'])}",
             f"合作机构:{formats.text(t['partner'])}", f"地点:{formats.text(t['place'])}",
             f"计划名额:{formats.number(cap)}"]
    st.text(" · ".join(facts))
    rate = f",到课率 {100 * len(att) / cap:.1f}%" if cap else ""
    st.caption(f"已签到 {len(att)} 人次,来自 {att['org_id'].nunique()} 个组织{rate}。")
    tabs = st.tabs(["签到名单", "签到表导入", "培训反馈", "反馈导入", "编辑培训"], key="section", bind="query-params")
    with tabs[0]:
        with st.container():  # one element either way, so the form below keeps its place
            if att.empty:
                st.caption("还没有人签到:用下面的表单登记,或在「签到表导入」中导入签到表。")
            else:
                table(att.drop(columns=["id", "org_id"]), f"签到名单-{t['title']}", key=f"att:{tid}",
                      columns=tcore.ATTENDANCE_COLUMNS.without("id", "org_id"))
        schema_form(Attendance, f"attend:{tid}", lambda v: _sign_in(tid, v, who), submit_label="登记签到",
                    fields=["org_id", "person", "position", "phone"])
        if not att.empty:
            names = {r.id: f"{r.org} · {r.person}" for r in att.itertuples()}
            gone = st.selectbox("删除误登记的签到(连同其反馈)", list(names), format_func=names.get, index=None,
                                placeholder="选择签到记录", key=f"att:{tid}:remove")
            confirm_button(f"att:{tid}:remove_btn:{gone}", "删除签到",
                           f"删除签到「{names.get(gone, '')}」及其培训反馈。删除后不能恢复,需要时只能重新登记。",
                           lambda: tcore.remove_attendance(int(gone), who), f"已删除签到:{names.get(gone, '')}",
                           disabled_reason=None if gone is not None else "先在上方选择要删除的签到记录", primary=False)
    with tabs[1]:
        st.caption("按模板填写签到表:组织名称须与台账中的全称一致;同一培训中同一组织的同一人只登记一次,"
                   "重复导入同一份签到表不会重复登记。")
        spec = tcore.attendance_import_spec(tid)
        import_panel(spec, f"att_import:{tid}", noun="签到", template_name=f"签到表模板-{t['title']}.xlsx",
                     commit=lambda plan: tcore.commit_import(spec, plan, who))
    with tabs[2]:
        _feedback(tid, att, who)
    with tabs[3]:
        st.caption("反馈表中的组织和姓名须已在本培训签到;每位参训人员一份反馈,已有反馈的行会跳过。")
        fspec = tcore.feedback_import_spec(tid)
        import_panel(fspec, f"fb_import:{tid}", noun="反馈", template_name=f"反馈表模板-{t['title']}.xlsx",
                     commit=lambda plan: tcore.commit_import(fspec, plan, who))
    with tabs[4]:
        if not who.writes(t.get("hub_id")):  # a district's training, read by a street below it (or a roll-up)
            st.info(f"该培训由{hubs.name_of(t.get('hub_id'))}主办,只能由主办枢纽修改;"
                    "本枢纽可为本枢纽的组织登记签到和反馈。")
            return
        load(f"training_edit:{tid}", t, Training, token=(tid, str(t.get("updated_at"))))
        schema_form(Training, f"training_edit:{tid}", lambda v: _save_training(tid, v, who), submit_label="保存修改",
                    clear_on_success=False, changes_only=True)


def _sign_in(tid: int, values: dict, who) -> str:
    tcore.add_attendance(tid, values, who)
    return f"已登记签到:{(values.get('person') or '').strip()}"


def _save_training(tid: int, values: dict, who) -> str:
    return "已保存修改" if tcore.update(tid, values, who) else "没有需要保存的修改"


def _feedback(tid: int, att: pd.DataFrame, who) -> None:
    fb = tcore.feedback(tid)
    cols = st.columns(4)
    cols[0].metric(tcore.EFFECT_COLUMNS["feedback_n"], f"{len(fb)}/{len(att)}")
    for col, name in zip(cols[1:], ("usefulness", "clarity", "fit")):
        col.metric(tcore.FEEDBACK_COLUMNS[name], f"{fb[name].mean():.2f}" if len(fb) else "—")
    with st.container():
        if fb.empty:
            st.caption("还没有培训反馈。")
        else:
            table(fb.drop(columns=["id"]), "培训反馈", key=f"fb:{tid}", columns=tcore.FEEDBACK_COLUMNS.without("id"))
    if att.empty:
        st.info("还没有人签到,签到后才能录入反馈。")
        return
    names = {r.id: f"{r.org} · {r.person}({r.feedback})" for r in att.itertuples()}
    chosen = st.selectbox("录入或修改反馈:选择参训人员", list(names), format_func=names.get, index=None,
                          placeholder="请选择", key=f"fb:{tid}:who")
    if chosen is None:
        return
    stored = tcore.feedback_of(int(chosen))
    key = f"feedback:{tid}"
    load(key, stored, Feedback, token=(chosen, str((stored or {}).get("updated_at")), (stored or {}).get("id")))
    schema_form(Feedback, key, lambda v: _save_feedback(int(chosen), names[chosen], v, who), submit_label="保存反馈",
                fields=["usefulness", "clarity", "fit", "comment"], clear_on_success=False)


def _save_feedback(attendance_id: int, name: str, values: dict, who) -> str:
    created = tcore.save_feedback(attendance_id, values, who)
    return f"已{'录入' if created else '更新'}反馈:{name.split('(')[0]}"


def _effectiveness() -> None:
    st.caption("到课率 = 参训人次 ÷ 计划名额;反馈均分 = 每份反馈(实用性 + 讲解清晰度 + 契合需求)÷ 3 的平均;"
               "能力维度变化 = 参训组织在培训后首次评估与培训前最近一次评估中,培训主题对应维度得分之差的平均"
               "(只计前后都有评估的组织)。")
    st.subheader("按场次")
    table(tcore.for_display(tcore.by_event()), "培训成效(按场次)", key="effect:event")
    st.subheader("按主题")
    table(tcore.for_display(tcore.by_topic()), "培训成效(按主题)", key="effect:topic")
    st.caption("主题与能力维度的对应:" + ";".join(f"{k}→{v}" for k, v in tcore.TOPIC_DIMENSION.items()))


# ==== 能力评估 ======================================================================================
def assessments() -> None:
    who = require("assessments")
    st.title("能力评估")
    acore.ensure_defaults()
    tabs = url_tabs(["新建评估", "组织画像", "整体情况", "评估工具", "支持对照表"])
    # the read-only tabs are drawn while open (the profile's organisation is in the URL); a tab with a form from the
    # run it is first opened in (core.ui.kept_tabs), so what was typed into it stays while another tab is looked at
    draw = opened(tabs, "assessments")
    if draw[0]:
        with tabs[0]:
            _new_assessment(who)
    if tabs[1].open:
        with tabs[1]:
            _profile()
    if tabs[2].open:
        with tabs[2]:
            _cohort()
    if draw[3]:
        with tabs[3]:
            _instrument_editor(who)
    if draw[4]:
        with tabs[4]:
            _support_editor(who)


def _version_label(versions: pd.DataFrame):
    names = {r.id: f"第{r.version}版 · {r.name}" for r in versions.itertuples()}
    return names.get


def _new_assessment(who) -> None:
    orgs = dict(organisations.options())
    versions = acore.instruments()
    c1, c2 = st.columns(2)
    org_id = c1.selectbox("被评估组织", list(orgs), format_func=orgs.get, index=None, placeholder="请选择",
                          key="assess:org")
    inst_id = c2.selectbox("评估工具版本", versions["id"].tolist(), format_func=_version_label(versions), index=0,
                           key="assess:instrument")
    st.caption("每个指标按 1–5 分打分:维度得分 = (指标平均分 − 1) ÷ 4 × 100;总分 = 各维度得分按权重加权平均(满分100)。")
    if org_id is None:
        st.info("请先选择要评估的组织。")
        return
    done = acore.assessment_frame(org_id=int(org_id))
    if not done.empty:
        st.caption("该组织已有评估:" + "、".join(f"{r.period}(总分 {r.total:.1f})" for r in done.itertuples()))

    def save(values: dict) -> str:
        aid, total = acore.create(int(org_id), int(inst_id), values, who)
        return f"已保存 {orgs[org_id]}「{acore.get(aid)['period']}」的评估(编号 {aid}),总分 {total:.2f}"

    from schemas.choices import half_year_of

    defaults = {"assessor": st.session_state.get("name") or projects.person(who.username),
                "assessed_on": dt.date.today(), "period": half_year_of(dt.date.today())}
    schema_form(acore.schema_for(int(inst_id)), f"assess:{inst_id}", save, submit_label="保存评估", defaults=defaults,
                columns=3, wide=("evidence",))


def _profile() -> None:
    opts = dict(acore.assessed_orgs())
    if not opts:
        st.info("还没有评估记录。")
        return
    current = _url_id("org")
    org_id = st.selectbox(acore.ASSESSMENT_COLUMNS["org"], list(opts), format_func=opts.get, placeholder="选择已评估的组织", key="profile:org",
                          index=list(opts).index(current) if current in opts else None)
    if org_id is None:
        st.query_params.pop("org", None)
        st.caption("选择一个已评估的组织,查看它的雷达图、各维度趋势和支持建议。")
        return
    st.query_params["org"] = str(org_id)
    hist = acore.assessment_frame(org_id=int(org_id)).iloc[::-1]
    labels = {r.id: f"{r.period}(第{r.version}版,总分 {r.total:.1f})" for r in hist.itertuples()}
    aid = st.selectbox(acore.ASSESSMENT_COLUMNS["period"], list(labels), format_func=labels.get, index=0, key=f"profile:period:{org_id}")
    a = acore.get(int(aid))
    prev = acore.previous_of(int(aid))
    radar = acore.radar_frame(int(aid))
    cols = st.columns(3)
    shown = acore.ASSESSMENT_COLUMNS
    cols[0].metric(shown["total"], f"{a['total']:.1f}",
                   delta=f"{a['total'] - prev['total']:+.1f}(较{prev['period']})" if prev else None)
    cols[1].metric(shown["assessor"], a["assessor"])
    cols[2].metric(shown["assessed_on"], formats.date(a["assessed_on"]))
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(charts.radar(radar), width="content", key="profile:radar")
    with right:
        table(acore.dimension_table(radar), "维度得分", key="profile:dims", columns=acore.SERIES_COLUMNS)
    if a.get("evidence"):
        st.text("佐证说明:" + a["evidence"])
    st.subheader("各维度趋势")
    st.altair_chart(charts.trend(acore.trend_frame(int(org_id))), width="stretch", key="profile:trend")
    st.subheader("支持建议")
    rec = acore.recommendations(int(org_id))
    st.caption("依据最近一次评估中得分最低的两个维度,按「支持对照表」推荐辅导模块和培训主题。")
    shown = rec.assign(score=rec["score"].round(1), modules=[_joined(m) for m in rec["modules"]],
                       topics=[_joined(t) for t in rec["topics"]])
    table(shown, "支持建议", key="profile:rec", columns=acore.RECOMMENDATION_COLUMNS)
    topics = sorted({t for ts in rec["topics"] for t in ts})
    coming = tcore.upcoming(topics)
    if not coming.empty:
        st.caption("近期相关培训:")
        table(coming.drop(columns=["id"]), "近期相关培训", key="profile:coming", export=False,
              columns=tcore.UPCOMING_COLUMNS.without("id"))


def _cohort() -> None:
    periods = acore.periods()
    if periods:
        period = st.selectbox(acore.ASSESSMENT_COLUMNS["period"], periods, index=0, key="cohort:period")
        dist = acore.distribution(period)
        st.subheader(f"各维度得分分布({period},{dist['org'].nunique()} 个组织)")
        st.caption("评估期从固定的期次中选择(如 2026年上半年),同一评估期的组织放在一起比较。")
        st.altair_chart(charts.boxplot(dist), width="stretch", key="cohort:box")
        table(acore.dimension_stats(dist), f"维度分布-{period}", key="cohort:stats", columns=acore.STATS_COLUMNS)
        st.subheader("总分较上次下降的组织")
        paged_table(acore.fallen_rows(period), f"总分下降-{period}", key="cohort:fallen",
                    columns=acore.FALLEN_COLUMNS.without("org_id"), shown=lambda df: df.drop(columns=["org_id"]),
                    empty="本期没有总分下降的组织。")
    else:
        st.info("还没有评估记录。")
    st.subheader("长期未评估的组织")
    months = st.number_input("超过多少个月未评估", min_value=1, max_value=120, value=acore.STALE_MONTHS, step=1,
                             key="cohort:months")
    stale = acore.not_assessed_rows(int(months))
    st.caption(f"共 {stale.count()} 个在册组织超过 {int(months)} 个月未评估(含从未评估)。")
    paged_table(stale, "长期未评估", key="cohort:stale", columns=acore.STALE_COLUMNS.without("org_id"),
                shown=lambda df: df.drop(columns=["org_id"]))


def _instrument_editor(who) -> None:
    versions = acore.instruments()
    table(versions, "评估工具版本", key="instrument:versions", export=False, columns=acore.VERSION_COLUMNS)
    latest = versions.iloc[0]
    view = st.selectbox("查看版本", versions["id"].tolist(), format_func=_version_label(versions), index=0,
                        key="instrument:view")
    table(pd.DataFrame(acore.instrument_rows(int(view)), columns=acore.ROW_FIELDS), "评估工具", key="instrument:rows",
          columns=acore.ROW_COLUMNS)
    st.subheader("保存为新版本")
    st.caption("在下表中修改维度、权重、指标或评分指引(同一维度各行的权重相同)。保存后成为新版本,用于之后的评估;"
               "已有评估仍按原版本计分,并按维度名称与新版本对比。")
    base = acore.instrument_rows(int(latest["id"]))
    ekey = f"instrument:editor:{int(latest['id'])}"

    def editor() -> None:
        label = acore.ROW_COLUMNS
        # empty rows to fill instead of the data editor's English "Add row" toolbar; clearing a row deletes it
        child_editor(base, acore.ROW_FIELDS, ekey, column_config={
            "dimension": st.column_config.TextColumn(label["dimension"]),
            "weight": st.column_config.NumberColumn(label["weight"], min_value=0),
            "indicator": st.column_config.TextColumn(label["indicator"]),
            "guidance": st.column_config.TextColumn(label["guidance"], width="large")})

    def save(values: dict) -> None:
        new_id = acore.new_version(child_rows(acore.ROW_FIELDS, ekey), values, who)
        version = int(acore.instrument(new_id)["version"])
        flash(f"已保存评估工具第{version}版")

    schema_form(Instrument, "instrument_new", save, submit_label="保存为新版本", extra=editor,
                defaults={"name": latest["name"]})


def _support_editor(who) -> None:
    st.caption("每个能力维度对应的辅导模块和培训主题;组织画像中的「支持建议」按此表给出。")
    sm = acore.support_map()
    shown = sm.drop(columns=["id"]).assign(modules=[_joined(m) for m in sm["modules"]],
                                           topics=[_joined(t) for t in sm["topics"]])
    table(shown, "支持对照表", key="support:table", columns=acore.SUPPORT_COLUMNS.without("id"))
    dim = st.selectbox("修改维度", acore.dimension_names(), index=None, placeholder="选择维度", key="support:dim")
    if dim is None:
        return
    row = acore.support_row(dim) or {"dimension": dim}
    key = f"support:{dim}"
    load(key, row, SupportMapping, token=(dim, str(row.get("updated_at")), row.get("id")))

    def save(values: dict) -> str:
        return "已保存对照" if acore.set_support(dim, values, who) else "没有需要保存的修改"

    schema_form(SupportMapping, key, save, submit_label="保存对照", fields=["modules", "topics"],
                clear_on_success=False)
