"""服务对象 (资源与需求): the named people a project serves — its roster, a person's record, registration (one person
across projects) and Excel import, attendance at the project's ledger activities, and the counts. Names only for
admins and the project's 负责社工: everyone else asking for a project by URL (``?project=N``) is refused, in Chinese,
by core (``core.resources.beneficiaries``) on every run. Leaders read counts only on 服务对象概况 (``overview``).
The project file shows a project's counts and edits its 负责社工 through core.ui.beneficiaries. Thin: every read and write goes through core."""
import datetime as dt

import streamlit as st

from core.platform import formats
from core.resources import beneficiaries as ben
from core.ui.beneficiaries import PAGE
from core.ui.confirm import ask, asking, confirm_box
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.session import act, attempt, require, url_tabs
from core.ui.tables import table
from core.ui.text import md
from schemas import choices
from schemas.base import field_specs
from schemas.columns import label
from schemas.beneficiary import Beneficiary, Enrolment, Intake

PAGE_READ = "res_beneficiaries_read"
PERSON = field_specs(Beneficiary)
ENROL = field_specs(Enrolment)
NOT_STAFF = ("您还不是任何项目的负责社工,看不到服务对象的姓名等信息:请联系管理员在「项目档案」中将您加为负责社工。"
             "人数统计可在「人数统计」中查看。")


def _param(name: str) -> int | None:
    raw = st.query_params.get(name, "")
    return int(raw) if raw.isdigit() else None


def _follow_url(name: str, key: str, asked: int | None) -> None:
    """The URL decides the widget's choice on arrival and whenever it changed by itself (F5, a shared link)."""
    if asked != st.session_state.get(f"{key}:url"):
        st.session_state[f"{key}:url"] = asked
        if asked is not None:
            st.session_state[key] = asked


def _to_url(name: str, key: str, chosen: int | None) -> None:
    if (_param(name)) != chosen:
        if chosen is None:
            del st.query_params[name]
        else:
            st.query_params[name] = str(chosen)
    st.session_state[f"{key}:url"] = chosen


def _project(who) -> int | None:
    """The project chosen (``?project=N``): one the user may see by name, else refused by core."""
    allowed = ben.name_projects(who)
    asked = _param("project")
    if asked is not None and asked not in allowed:
        attempt(lambda: ben.require_names(who, asked))  # refused (and logged): nothing of it is shown
        return None
    if not allowed:
        st.info(NOT_STAFF)
        return None
    _follow_url("project", "ben:project", asked)
    chosen = st.selectbox(label("project_id", of=Enrolment), allowed, index=None, key="ben:project", placeholder="选择您负责的项目",
                          format_func=choices.formatter("projects"))
    _to_url("project", "ben:project", chosen)
    if chosen is None:
        st.caption("选择一个您负责的项目,查看并登记它的服务对象。只有项目的负责社工和管理员能看到姓名等个人信息。")
    return chosen


# ---- 名册 ----------------------------------------------------------------------------------------------------
def _person(who, key: int, project: int) -> None:
    row = attempt(lambda: ben.beneficiary(key, who))
    if row is None:
        return
    st.divider()
    st.subheader(md(row["name"]))
    labels = ["详情", "编辑", "入组"]
    tabs = dict(zip(labels, st.tabs(labels, key="ptab")))
    with tabs["详情"]:
        cols = st.columns(3)
        for i, name in enumerate(n for n in PERSON if n != "notes"):
            cols[i % 3].text(f"{PERSON[name]['label']}:{formats.text(row.get(name))}")
        st.text(f"{PERSON['notes']['label']}:{formats.text(row.get('notes'))}")
        if row["elsewhere"]:
            st.caption(f"另有 {row['elsewhere']} 个项目也在服务该对象(按同一人计,不重复计人)。")
    with tabs["编辑"]:
        form = "ben:edit"
        load(form, row, Beneficiary, token=(key, str(row.get("updated_at"))))
        schema_form(Beneficiary, form, lambda v: "已保存修改" if ben.update_person(key, v, who) else "没有需要保存的修改",
                    submit_label="保存修改", clear_on_success=False, changes_only=True)
        st.caption("身份证号只保存隐去出生日期的号码;保持不变即可,重新填写完整号码会替换它。")
    with tabs["入组"]:
        for e in row["enrolments"]:
            ended = formats.date(e["ended_on"]) if e["ended_on"] is not None else "在服务"
            st.text(f"{e['project']}:{ENROL['enrolled_on']['label']} {formats.date(e['enrolled_on'])},"
                    f"{ENROL['ended_on']['label']} {ended}")
        mine = next((e for e in row["enrolments"] if e["project_id"] == project), None)
        if mine is not None and mine["ended_on"] is None:
            day = st.date_input(ENROL["ended_on"]["label"], value=None, max_value=dt.date.today(), key=f"ben:end:{key}",
                                format="YYYY-MM-DD", help=ENROL["ended_on"]["help"])
            if st.button("登记结束服务", key=f"ben:end:btn:{key}"):
                if day is None:
                    st.error(f"请先选择{ENROL['ended_on']['label']}")
                else:
                    act(lambda: ben.end_service(mine["id"], day, who), f"已登记「{row['name']}」结束服务",
                        once=("end", mine["id"]))


def _roster(who, project: int) -> None:
    search = st.text_input("搜索", key="ben:q", placeholder="搜索姓名或监护人", label_visibility="collapsed")
    df = attempt(lambda: ben.roster(project, who, search=search))
    if df is None:
        return
    if df.empty:
        st.info("没有符合条件的服务对象:请修改搜索词。" if search.strip() else "该项目还没有登记服务对象,可在「登记与导入」中登记。")
        return
    st.caption(f"共 {len(df)} 人。联系电话在列表和导出中隐去中间四位;身份证号只保存隐去出生日期的号码。")
    agreement = choices.label("projects", project).split(" ")[0]
    table(df, f"服务对象名册-{agreement}", key=f"ben:roster:{project}",
          columns=dict(ben.ROSTER_COLUMNS))
    ids = [int(i) for i in df["id"]]
    names = dict(zip(ids, df["name"]))
    asked = _param("person")
    if asked is not None and asked not in ids:  # someone this list does not show (another project's): core decides
        if attempt(lambda: ben.beneficiary(asked, who)) is None:
            return
        ids.append(asked)
    _follow_url("person", "ben:person", asked)
    pick = st.selectbox("查看服务对象", ids, index=None, key="ben:person", placeholder="选择服务对象查看详情",
                        format_func=lambda i: f"{names.get(i, '其他项目的服务对象')}(编号 {i})")
    _to_url("person", "ben:person", pick)
    if pick is not None:
        _person(who, pick, project)


def _search(who) -> None:
    """Find a person among everyone the user may see by name (their projects; admins: all)."""
    text = st.text_input("查找服务对象", key="ben:find", placeholder="在您负责的项目中按姓名或监护人查找")
    if not text.strip():
        return
    found = ben.register_rows(who, search=text)
    if found.empty:
        st.info("您负责的项目中没有符合条件的服务对象:请修改搜索词。")
    else:
        table(found, "服务对象查找结果", key="ben:found", columns=dict(ben.REGISTER_COLUMNS))
        st.caption("在上方选择服务项目查看其名册和详情。")


# ---- 登记与导入 ---------------------------------------------------------------------------------------------------
def _register(who, project: int) -> None:
    st.caption("带 * 的为必填项。同一人(身份证号相同,或姓名、出生年份、所在社区相同)已由其他项目登记时,"
               "只加入本项目,不重复计人。登记联系电话或身份证号须先取得本人或监护人同意。")
    schema_form(Intake, f"ben:new:{project}", lambda v: ben.enrol(project, v, who).says(v.get("name")),
                submit_label="登记", defaults={"enrolled_on": dt.date.today()})
    with st.expander("从Excel导入服务对象", icon=":material/upload_file:"):
        spec = attempt(lambda: ben.import_spec(project, who))
        if spec is not None:
            import_panel(spec, f"ben:import:{project}", noun=ben.BENEFICIARY.label, template_name=f"{ben.BENEFICIARY.label}导入模板.xlsx",
                         commit=lambda plan: ben.commit_import(project, plan, who))


# ---- 活动出勤 ------------------------------------------------------------------------------------------------
def _attendance(who, project: int) -> None:
    acts = attempt(lambda: ben.project_activities(project, who))
    if acts is None:
        return
    if acts.empty:
        st.info("该项目的服务台账中还没有活动。")
        return
    labels = {int(r.id): f"{formats.date(r.activity_date)} {r.title}(编号 {r.id},台账 {r.person_times} 人次,"
                         f"实名出勤 {r.named} 人)" for r in acts.itertuples()}
    activity = st.selectbox("服务活动", list(labels), key="ben:activity", format_func=labels.get)
    present = attempt(lambda: ben.attendance(activity, who))
    people = attempt(lambda: ben.roster(project, who))
    if present is None or people is None:
        return
    if present.empty:
        st.info("该活动还没有登记实名出勤。")
    else:
        table(present.drop(columns=["id"]), "活动出勤名单", key=f"ben:present:{activity}",
              columns=dict(ben.ATTENDANCE_COLUMNS))
    names = dict(zip((int(i) for i in people["id"]), people["name"]))
    with st.form(f"ben:att:{activity}", enter_to_submit=False):
        chosen = st.multiselect("出勤的服务对象", list(names), default=[int(i) for i in present["id"]],
                                format_func=names.get, placeholder="选择出勤的服务对象")
        saved = st.form_submit_button("保存出勤")
    key = f"ben:att-remove:{activity}"
    ok = lambda r: f"已保存出勤:新增 {r[0]} 人,移除 {r[1]} 人"  # noqa: E731
    if saved:
        removed = [names.get(int(i), str(i)) for i in present["id"] if int(i) not in chosen]
        if removed:  # taking people off an activity's attendance deletes their records: ask first
            st.session_state[f"{key}:checked"] = (list(chosen), removed)
            ask(key)
        else:
            act(lambda: ben.set_attendance(activity, chosen, who), ok, once=("attendance", activity, tuple(chosen)))
    if asking(key) and f"{key}:checked" in st.session_state:
        keep, removed = st.session_state[f"{key}:checked"]
        confirm_box(key, "移除出勤", f"从该活动的实名出勤中移除 {len(removed)} 人:{'、'.join(removed)}。"
                                     "他们在该活动的出勤记录将被删除。",
                    lambda: ben.set_attendance(activity, keep, who), ok, once=("attendance", activity, tuple(keep)))


# ---- 人数统计 (counts only, never names) --------------------------------------------------------------------------
def _counts() -> None:
    t = ben.totals()
    c = st.columns(4)
    c[0].metric("服务对象(人,去重)", formats.number(t["people"]), help="跨项目按同一人计,每人只计一次")
    c[1].metric("入组人次(各项目合计)", formats.number(t["enrolments"]), help="一人被多个项目服务时按项目各计一次")
    c[2].metric("已服务(人,去重)", formats.number(t["served"]))
    c[3].metric("服务对象出勤(人次)", formats.number(t["times"]))
    for by, title in (("project", "按项目"), ("group", "按服务人群"), ("community", "按社区")):
        st.subheader(title)
        df = ben.unique_people(by=by)
        if df.empty:
            st.info("还没有服务对象。")
        else:
            table(df, f"服务对象人数{title}", key=f"ben:count:{by}", columns=ben.BY[by])


def render() -> None:
    """Admins and staff: a project's people by name where they may (its 负责社工), the counts for all."""
    who = require(PAGE)
    st.title(ben.BENEFICIARY.label)
    project = _project(who)
    tabs = url_tabs(["名册", "登记与导入", "活动出勤", "人数统计"], key="view")
    for tab, draw in zip(tabs, (_roster, _register, _attendance)):
        if tab.open:  # only the open tab reads (and its reads are checked)
            with tab:
                if project is not None:
                    draw(who, project)
                elif draw is _roster and ben.name_projects(who) and _param("project") is None:
                    _search(who)
    if tabs[3].open:
        with tabs[3]:
            _counts()


def overview() -> None:
    """Leaders: how many people are served, per project, group and community — never a name."""
    require(PAGE_READ)
    st.title("服务对象概况")
    st.caption("只显示人数统计,不显示服务对象的姓名等个人信息(仅项目的负责社工和管理员可查看)。")
    _counts()
