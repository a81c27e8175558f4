"""孵化: one-to-one mentoring (mentors, pairings, sessions with agreed actions and their follow-up), each
organisation's support history on one page, and lifecycle, incubation and ratings (with the expiring
ratings and the coverage-gap report). Thin screens: every read and write goes through core."""
import datetime as dt

import streamlit as st

from core.incubation import lifecycle as life, mentoring as mentor_core, support
from core.monitoring import projects
from core.orgs import organisations
from core.platform import formats
from core.platform.excel import XLSX_MIME, workbook_bytes
from core.ui.confirm import ask, asking, confirm_box
from core.ui.forms import MAX_DATE, MIN_DATE, load, schema_form
from core.ui.kept_tabs import opened, was_drawn
from core.ui.session import act, attempt, require, url_tabs
from core.ui.tables import paged_table, table
from core.ui.text import md
from schemas.choices import INCUBATION_CRITERIA
from schemas.columns import label
from schemas.incubation import EntryForm, ExitForm, Mentor, MentoringSession, Pairing, Rating, StageChange
from schemas.organisation import Organisation

PAIRINGS = mentor_core.PAIRING.label  # a tab and a sheet named as the entity / the field declares it
RATINGS = label("rating", of=Organisation)

SESSION_FORM = "mentor_session"
ACTION_COLS = ["action", "owner", "due_date"]
ACTION_ROWS = 4  # agreed actions per session form (rows left empty are ignored)
STATUS_LABELS = mentor_core.STATUSES  # open 未完成 · overdue 已逾期 · done 已完成

SESSION_COLUMNS, ACTION_COLUMNS, PAIRING_COLUMNS = (mentor_core.SESSION_COLUMNS, mentor_core.ACTION_COLUMNS,
                                                   mentor_core.PAIRING_COLUMNS)
ORG_LABEL = label("org_id", of=StageChange)  # the organisation a dossier or a decision is about


def _people(df, *cols):
    """Accounts (登记人 …) shown by 姓名 (the tables show dates, amounts and empty cells as people read them)."""
    return projects.readable(df, people=cols)


# ---- 一对一辅导 ----------------------------------------------------------------------------------
def _action_key(i: int, col: str) -> str:
    return f"{SESSION_FORM}:act:{st.session_state.get(f'{SESSION_FORM}:n', 0)}:{i}:{col}"


def _action_rows() -> None:
    """The agreed actions of the session: a few rows of 事项 / 负责人 / 完成期限 (empty rows are ignored)."""
    st.markdown("**商定的待办事项** *(每行一项:事项、负责人、完成期限;没有可不填)*")
    for i in range(ACTION_ROWS):
        c = st.columns([3, 1.4, 1.2])
        show = "visible" if i == 0 else "collapsed"
        c[0].text_input(ACTION_COLUMNS["action"], key=_action_key(i, "action"), max_chars=200,
                        label_visibility=show, placeholder=f"第{i + 1}项:要做的事")
        c[1].text_input(ACTION_COLUMNS["owner"], key=_action_key(i, "owner"), max_chars=50, label_visibility=show,
                        placeholder=ACTION_COLUMNS["owner"])
        c[2].date_input(ACTION_COLUMNS["due_date"], key=_action_key(i, "due_date"), value=None, min_value=MIN_DATE,
                        max_value=MAX_DATE, format="YYYY-MM-DD", label_visibility=show)


def _sessions_tab(who, reads) -> None:
    if reads.pairings().empty:
        st.info("还没有导师结对:请先在「导师库」登记导师,再在「导师结对」中建立结对。")

    def save(values: dict) -> str:
        rows = [{c: st.session_state.get(_action_key(i, c)) for c in ACTION_COLS} for i in range(ACTION_ROWS)]
        session_id = mentor_core.record_session(values, rows, who)
        n = int(st.session_state.get(f"{SESSION_FORM}:n", 0))
        st.session_state[f"{SESSION_FORM}:n"] = n + 1  # fresh, empty action rows for the next session
        count = sum(any(v not in (None, "") for v in r.values()) for r in rows)
        return f"已保存辅导记录(编号 {session_id})" + (f",商定待办事项 {count} 项" if count else "")

    schema_form(MentoringSession, SESSION_FORM, save, submit_label="保存辅导记录",
                defaults={"session_date": dt.date.today()}, extra=_action_rows, wide=("findings",))
    st.subheader("辅导记录")
    paged_table(mentor_core.session_rows(), "辅导记录", key="mentoring:sessions", columns=SESSION_COLUMNS,
                shown=_people)


def _follow_up_tab(who, _reads) -> None:
    counts = mentor_core.follow_up_counts()
    cols = st.columns(3)
    for col, s in zip(cols, ("overdue", "open", "done")):
        col.metric(STATUS_LABELS[s], counts[s])
    labels = {v: k for k, v in STATUS_LABELS.items()}
    shown = st.multiselect(ACTION_COLUMNS["follow_up"], list(labels), default=["已逾期", "未完成"], key="actions:filter",
                           placeholder="全部", select_all=False)
    statuses = [labels[s] for s in shown]
    found = mentor_core.actions(statuses=statuses or None)
    df = found.assign(follow_up=found["follow_up"].map(STATUS_LABELS)).drop(columns=["session_id"])
    with st.container():
        if df.empty:
            st.caption("没有符合所选跟进状态的待办事项。")
        else:
            table(_people(df), "辅导待办跟进", key="mentoring:actions", columns=ACTION_COLUMNS)
    # the open ones to mark done: the list above when it shows exactly those (its default filter)
    pending = found if set(statuses) == {"overdue", "open"} else mentor_core.actions(statuses=["overdue", "open"])
    if pending.empty:
        st.caption("没有未完成的待办事项。")
        return
    st.markdown("**标记完成**")
    names = {int(r.id): f"{r.action}({r.org},期限 {formats.date(r.due_date)})" for r in pending.itertuples()}
    cols = st.columns([3, 1, 1])
    chosen = cols[0].selectbox(ACTION_COLUMNS["action"], list(names), format_func=names.get, index=None, placeholder="请选择",
                               key="actions:done:id")
    done_on = cols[1].date_input(ACTION_COLUMNS["done_date"], value=dt.date.today(), min_value=MIN_DATE, max_value=MAX_DATE,
                                 format="YYYY-MM-DD", key="actions:done:date")
    if cols[2].button("标记为已完成", key="actions:done:btn", type="primary"):
        if chosen is None:
            st.error("请选择待办事项")
        else:
            act(lambda: mentor_core.mark_done(int(chosen), done_on, who), f"待办事项「{names[chosen]}」已标记为完成")


def _pairings_tab(who, reads) -> None:
    if reads.mentors().empty:
        st.info("还没有导师:请先在「导师库」中登记。")
    schema_form(Pairing, "mentor_pairing", lambda v: f"已建立结对(编号 {mentor_core.add_pairing(v, who)})",
                submit_label="建立结对", defaults={"start_date": dt.date.today()})
    df = reads.pairings()
    table(_people(df), PAIRINGS, key="mentoring:pairings", columns=PAIRING_COLUMNS)
    running = df[df["end_date"].isna()]
    if running.empty:
        return
    st.markdown("**结束结对**")
    names = {int(r.id): f"{r.mentor} → {r.org}({formats.date(r.start_date)} 起)" for r in running.itertuples()}
    cols = st.columns([3, 1, 1])
    chosen = cols[0].selectbox("结对", list(names), format_func=names.get, index=None, placeholder="请选择",
                               key="pairing:end:id")
    end = cols[1].date_input(PAIRING_COLUMNS["end_date"], value=dt.date.today(), min_value=MIN_DATE, max_value=MAX_DATE,
                             format="YYYY-MM-DD", key="pairing:end:date")
    if cols[2].button("结束结对", key="pairing:end:btn"):
        if chosen is None:
            st.error("请选择结对")
        else:
            act(lambda: mentor_core.end_pairing(int(chosen), end, who), f"结对「{names[chosen]}」已于 {end} 结束")


def _mentors_tab(who, reads) -> None:
    df = reads.mentors()
    from schemas import choices

    shown = df.assign(username=[("" if formats.is_empty(u) else choices.label("reviewers", u)) for u in df["username"]])
    table(shown, "辅导导师", key="mentoring:mentors", columns=mentor_core.MENTOR_COLUMNS)
    st.subheader("登记导师")
    schema_form(Mentor, "mentor_new", lambda v: f"已登记导师(编号 {mentor_core.add_mentor(v, who)})",
                submit_label="登记导师", defaults={"active": True})
    if df.empty:
        return
    st.subheader("修改导师")
    names = dict(zip(df["id"].astype(int), df["name"]))
    chosen = st.selectbox("选择导师", list(names), format_func=names.get, index=None, placeholder="请选择",
                          key="mentor_edit:chosen")
    if chosen is None:
        return
    m = mentor_core.get_mentor(int(chosen))
    load("mentor_edit", m, Mentor, token=(m["id"], str(m.get("updated_at"))))

    def save(values: dict) -> str:
        return "已保存修改" if mentor_core.update_mentor(m["id"], values, who) else "没有需要保存的修改"

    schema_form(Mentor, "mentor_edit", save, submit_label="保存修改", clear_on_success=False, changes_only=True)


class _Reads:
    """The mentors and pairings read once per run (two tabs each use them)."""

    def __init__(self):
        self._pairings = self._mentors = None

    def pairings(self):
        if self._pairings is None:
            self._pairings = mentor_core.pairings()
        return self._pairings

    def mentors(self):
        if self._mentors is None:
            self._mentors = mentor_core.mentors()
        return self._mentors


# a widget each tab draws in every run it is drawn (no code sets them): one of them alive means the last run
# drew this screen (core.ui.kept_tabs.was_drawn)
_TAB_WIDGETS = ("mentoring:sessions:xlsx", "actions:filter", "mentoring:pairings:xlsx", "mentoring:mentors:xlsx")


def mentoring() -> None:
    who = require("mentoring")
    st.title("一对一辅导")
    st.caption("导师库(公益领域专家、资深项目管理者、财务合规顾问)→ 与组织结对 → 每次辅导记录模块、形式、发现的问题"
               "和商定的待办事项 → 跟进待办(未完成 / 已完成 / 已逾期)。近两年的辅导关系会在专家评审分配时自动回避。")
    same_visit = any(was_drawn(k) for k in _TAB_WIDGETS)
    tabs = url_tabs(["辅导记录", "待办跟进", PAIRINGS, "导师库"])
    # every tab holds inputs: each is drawn from the run it is opened in on this visit (core.ui.kept_tabs), so a
    # sidebar click draws the open tab only and nothing typed into another tab is lost
    reads = _Reads()
    for tab, draw, body in zip(tabs, opened(tabs, "mentoring", same_visit),
                               (_sessions_tab, _follow_up_tab, _pairings_tab, _mentors_tab)):
        if draw:
            with tab:
                body(who, reads)


# ---- 组织成长档案 --------------------------------------------------------------------------------
def _org_picker(key: str, *, active_only: bool) -> int | None:
    opts = organisations.options(active_only=active_only)
    ids = [i for i, _ in opts]
    raw = st.query_params.get("id", "")
    current = int(raw) if raw.isdigit() else None
    chosen = st.selectbox(ORG_LABEL, ids, format_func=dict(opts).get, placeholder="选择或搜索社会组织", key=key,
                          index=ids.index(current) if current in ids and key not in st.session_state else None)
    if chosen is not None:
        st.query_params["id"] = str(chosen)
    return chosen


def _status_line(s: dict, org: dict) -> str:
    inc = s["incubation"]
    if org.get("incubation_in"):
        inc += f"(入壳 {org['incubation_in']}" + (f",出壳 {org['incubation_out']})" if org.get("incubation_out") else ")")
    if s["rating"]:
        rating = f"{s['rating']}(评估 {s['rating_date']},有效期至 {s['rating_expiry']}" + ("" if s["rating_valid"] else ",已过期") + ")"
        rating += ";可申请晋级" if s["may_apply_for_upgrade"] else f";{s['upgrade_from']} 起可申请晋级"
    else:
        rating = "未评级"
    return f"发展阶段:{s['stage'] or '—'} · 孵化:{inc} · 等级:{rating}"


def org_support() -> None:
    require("org_support")
    st.title("组织成长档案")
    chosen = _org_picker("support:org", active_only=False)
    if chosen is None:
        st.caption("选择一个组织,查看它获得的全部支持:一对一辅导、能力培训、能力评估、资助项目,以及发展阶段、孵化和等级评估记录。")
        return
    h = attempt(lambda: support.history(int(chosen)))
    if h is None:
        return
    org, s, n = h["org"], h["status"], h["summary"]
    st.subheader(md(org["name"]))
    st.caption(md(_status_line(s, org)))
    cols = st.columns(5)
    metric = support.SUMMARY_LABELS
    cols[0].metric(metric["sessions"], n["sessions"], help=f"结对 {n['pairings']} 个")
    cols[1].metric(metric["hours"], f"{float(n['hours']):g}")
    cols[2].metric(metric["training_person_times"], n["training_person_times"], help=f"参加培训 {n['trainings']} 场")
    cols[3].metric(metric["assessments"], n["assessments"])
    cols[4].metric(metric["funded_projects"], n["funded_projects"], help=f"资助金额 {formats.money(n['granted'])} 元")
    if n["overdue_actions"]:
        st.warning(f"有 {n['overdue_actions']} 项辅导待办已逾期。")

    sheets = {
        PAIRINGS: (_people(h["pairings"]), PAIRING_COLUMNS),
        "辅导记录": (_people(h["sessions"].drop(columns=["org"])), SESSION_COLUMNS.without("org")),
        "辅导待办": (_people(h["actions"].assign(follow_up=h["actions"]["follow_up"].map(STATUS_LABELS))
                             .drop(columns=["org", "session_id"])), ACTION_COLUMNS.without("org")),
        "能力培训": (_people(h["trainings"]), support.TRAINING_COLUMNS),
        "能力评估": (_people(h["assessments"]), support.ASSESSMENT_COLUMNS),
        "资助项目": (h["funded"], support.FUNDED_COLUMNS),
        "阶段变更": (_people(h["stages"], "created_by"), life.STAGE_COLUMNS),
        "入壳出壳": (_people(h["decisions"], "created_by"), life.DECISION_COLUMNS),
        RATINGS: (_people(h["ratings"], "created_by"), life.RATING_COLUMNS),
    }
    st.download_button("导出完整档案(Excel)", key="support:xlsx", icon=":material/download:", on_click="ignore",
                       data=lambda: workbook_bytes({k: df.rename(columns=c) for k, (df, c) in sheets.items()}),
                       file_name=f"成长档案-{org['name']}-{dt.date.today():%Y%m%d}.xlsx", mime=XLSX_MIME)
    tabs = url_tabs(["一对一辅导", "能力培训", "能力评估", "资助项目", "阶段与孵化", RATINGS])
    with tabs[0]:
        for name in (PAIRINGS, "辅导记录", "辅导待办"):
            st.markdown(f"**{name}**")
            _sheet(sheets, name, chosen)
    with tabs[1]:
        _sheet(sheets, "能力培训", chosen, empty="尚未参加培训。")
    with tabs[2]:
        _sheet(sheets, "能力评估", chosen, empty="尚无能力评估记录。")
    with tabs[3]:
        _sheet(sheets, "资助项目", chosen, empty="尚无获资助的项目。")
    with tabs[4]:
        for name in ("阶段变更", "入壳出壳"):
            st.markdown(f"**{name}**")
            _sheet(sheets, name, chosen)
    with tabs[5]:
        _sheet(sheets, RATINGS, chosen, empty="尚无等级评估记录。")


def _sheet(sheets: dict, name: str, org_id: int, empty: str | None = None) -> None:
    df, cols = sheets[name]
    with st.container():  # one element either way, so what follows keeps its place
        if df.empty:  # one line instead of an empty grid (which says "empty", in English)
            st.caption(empty or f"暂无{name}记录。")
        else:
            table(df, f"{name}", key=f"support:{name}:{org_id}", columns=cols)


# ---- 孵化与等级 ----------------------------------------------------------------------------------
def _stage_form(org: dict, who) -> None:
    st.subheader("发展阶段变更")
    st.caption("零基础筹备期 → 初创期 → 成长期 → 成熟期;每次变更记录日期和依据,保留完整历史。")

    def save(values: dict) -> str:
        life.change_stage(org["id"], values, who)
        return f"已记录阶段变更:{org['stage']} → {values['to_stage']}"

    schema_form(StageChange, f"stage:{org['id']}", save, submit_label="记录阶段变更",
                fields=["to_stage", "changed_on", "reason"], defaults={"changed_on": dt.date.today()}, wide=("reason",))


def _incubation_form(org: dict, who) -> None:
    st.subheader("入壳 / 出壳")
    kind = life.next_decision(org)
    if kind is None:
        st.info(f"该组织已于 {formats.date(org['incubation_in'])} 入壳、{formats.date(org['incubation_out'])} 出壳,"
                "孵化已完成。")
        return
    model = EntryForm if kind == "入壳" else ExitForm
    st.caption(f"本次决定:{kind}。标准:" + "、".join(INCUBATION_CRITERIA[kind])
               + (f"。入壳日期 {formats.date(org['incubation_in'])},出壳日期须晚于它。" if kind == "出壳" else "。")
               + "未满足全部标准时须在说明中写明理由。")
    key = f"incubation:{org['id']}:{kind}"
    form = dict(fields=["decided_on", "criteria_met", "note"], defaults={"decided_on": dt.date.today()},
                wide=("criteria_met", "note"))
    if kind == "入壳":
        def save(values: dict) -> str:
            life.decide(org["id"], {**values, "kind": kind}, who)
            return f"已记录入壳决定({formats.date(values['decided_on'])})"

        schema_form(model, key, save, submit_label="记录入壳", **form)
        return

    # 出壳 cannot be undone: validate, keep the values, ask; only 确认 writes (once)
    def check(values: dict) -> None:
        record = life.check_decision(org["id"], {**values, "kind": kind})
        st.session_state[f"{key}:checked"] = ({**values, "kind": kind}, record)
        ask(key)

    schema_form(model, key, check, submit_label="记录出壳", clear_on_success=False, **form)
    if asking(key) and f"{key}:checked" in st.session_state:
        values, record = st.session_state[f"{key}:checked"]
        missing = [c for c in INCUBATION_CRITERIA["出壳"] if c not in (record.get("criteria_met") or [])]
        confirm_box(key, "出壳",
                    f"记录「{org['name']}」于 {formats.date(record['decided_on'])} 出壳"
                    + (f"(未满足:{'、'.join(missing)})" if missing else "(满足全部出壳标准)")
                    + "。出壳后孵化即告完成,不能再记录入壳或出壳,出壳日期也不能修改。",
                    lambda: life.decide(org["id"], values, who),
                    f"已记录出壳决定({formats.date(record['decided_on'])}),孵化完成")


def _rating_form(org: dict, who) -> None:
    st.subheader(RATINGS)
    if org.get("rating_date"):
        nxt = life.upgrade_from(org["rating_date"])
        st.caption(f"当前等级 {org['rating']}(评估 {org['rating_date']},有效期至 {org['rating_expiry']});"
                   + ("已满2年,可申请晋级。" if life.may_apply_for_upgrade(org["rating_date"]) else f"{nxt} 起可申请晋级。"))
    else:
        st.caption("尚未评级。等级评估满分1000分,1A–5A,有效期5年。")

    def save(values: dict) -> str:
        life.record_rating(org["id"], values, who)
        return f"已记录等级评估:{values['level']}(有效期5年)"

    schema_form(Rating, f"rating:{org['id']}", save, submit_label="记录评估结果",
                fields=["level", "score", "rated_on", "note"])


def _org_tab(who) -> None:
    chosen = _org_picker("life:org", active_only=True)
    if chosen is None:
        st.caption("选择一个在册组织,记录阶段变更、入壳/出壳决定或等级评估结果。")
        return
    org = organisations.get(int(chosen), actor=who)  # another hub's organisation by URL reads as missing
    if org is None:
        st.warning("该组织不存在。")
        return
    st.caption(md(_status_line(life.status(org), org)))
    _stage_form(org, who)
    _incubation_form(org, who)
    _rating_form(org, who)
    with st.expander("历史记录", key=f"life:history:open:{org['id']}"):
        for name, df, cols in (("阶段变更", life.stage_history(org["id"]), life.STAGE_COLUMNS),
                               ("入壳出壳", life.decisions(org["id"]), life.DECISION_COLUMNS),
                               (RATINGS, life.ratings(org["id"]), life.RATING_COLUMNS)):
            st.markdown(f"**{name}**")
            if df.empty:
                st.caption(f"暂无{name}记录。")
            else:
                table(_people(df.drop(columns=["id"]), "created_by"), name, key=f"life:{name}:{org['id']}",
                      columns=cols.without("id"), export=False)


def _ratings_tab() -> None:
    soon = life.expiring_rows()
    st.subheader("12个月内到期的等级")
    st.caption(f"共 {soon.count()} 个组织的等级将在12个月内到期(有效期5年),请提醒其及时申请复评。")
    paged_table(soon, "等级即将到期", key="life:expiring", columns=life.EXPIRING_COLUMNS.without("id"),
                shown=lambda df: df.drop(columns=["id"]))
    st.subheader("全部评级组织")
    st.caption("上次评估满2年后可申请晋级。")
    paged_table(life.current_rating_rows(), "评级组织", key="life:ratings",
                columns=life.CURRENT_RATING_COLUMNS.without("id"), shown=lambda df: df.drop(columns=["id"]))


def _coverage_tab() -> None:
    this_year = dt.date.today().year
    years = [None] + list(range(this_year, 2017, -1))
    year = st.selectbox("统计年度", years, format_func=lambda y: "全部年度" if y is None else f"{y}年", key="life:year")
    since, until = (dt.date(year, 1, 1), dt.date(year, 12, 31)) if year else (None, None)
    df = life.coverage(since, until)
    st.caption("各发展阶段获得的支持:辅导、培训和资助按发生时组织所处的阶段统计(依据阶段变更记录);"
               "在册组织数为当前处于该阶段的组织;占比为该阶段占全部支持的百分比。")
    table(df, "阶段服务覆盖", key="life:coverage", columns=life.COVERAGE_COLUMNS)
    gaps = [f"{r.stage}({r.gaps})" for r in df.itertuples() if r.gaps]
    if gaps:
        st.warning("服务缺口:" + ";".join(gaps))


def lifecycle() -> None:
    who = require("lifecycle")
    st.title("孵化与等级")
    tab_org, tab_ratings, tab_gap = url_tabs(["阶段、孵化与评级", "等级到期与晋级", "阶段服务覆盖"])
    with tab_org:
        _org_tab(who)
    with tab_ratings:
        _ratings_tab()
    with tab_gap:
        _coverage_tab()
