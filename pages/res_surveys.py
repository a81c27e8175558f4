"""居民满意度调查: results per project and per satisfaction category, staff's response entry (a form built from the
project's questionnaire), the Excel import of paper forms, and the questionnaires themselves (questions edited as
rows). Staff and admins write; leaders read the results. Thin: every read and write goes through
core.resources.surveys."""
import streamlit as st

from core.platform import formats
from core.platform.entities import may
from core.resources import surveys as sv
from core.ui.editor import child_editor, child_rows
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.session import attempt, flash, require, url_tabs
from core.ui.tables import table
from core.ui.text import md
from schemas import choices
from schemas.base import field_specs
from schemas.survey import CATEGORIES, QUESTION_KINDS, Survey

PAGE, PAGE_READ = "res_surveys", "res_surveys_read"
TABS = ["满意度结果", "录入答卷", "Excel导入", "问卷管理"]
FIRST_PROJECTS = 200  # 按项目: the lowest-rated first (a city has thousands of surveyed projects; the export holds all)


def _project_id() -> int | None:
    ids = choices.get("projects")
    raw = st.query_params.get("project", "")
    current = int(raw) if raw.isdigit() else None
    chosen = st.selectbox("项目", ids, index=ids.index(current) if current in ids else None, key="survey:project",
                          placeholder="选择或搜索项目(不选则看全部项目)",
                          format_func=choices.formatter("projects"))
    if chosen is None:
        st.query_params.pop("project", None)
        return None
    st.query_params["project"] = str(chosen)
    return int(chosen)


def _share(v) -> str:
    return sv.share_text(v)


# ---- results ---------------------------------------------------------------------------------------------
def _overview() -> None:
    s = sv.summary()
    c = st.columns(4)
    c[0].metric("满意度问卷", f"{s['surveys']} 份")
    c[1].metric("已调查项目", f"{s['projects']} 个")
    c[2].metric("答卷", f"{formats.number(s['responses'])} 份")
    c[3].metric("总体满意率", _share(s["satisfied"]), help="满意度(1–5分)题中答 4 分或 5 分的比例")
    st.subheader("按满意度类别")
    cats = sv.satisfaction_by_category()
    if cats.empty:
        st.info("还没有满意度答卷。")
        return
    table(cats, "满意度按类别", key="survey:cats", columns=dict(sv.CATEGORY_COLUMNS))
    st.subheader("按项目(满意率从低到高)")
    table(sv.project_results().drop(columns=["project_id"]), "满意度按项目", key="survey:projects",
          columns=dict(sv.PROJECT_COLUMNS), first=FIRST_PROJECTS)
    st.caption("在上方选择项目,查看该项目的逐题结果和意见建议。")


def _project_results(pid: int) -> None:
    s = sv.project_satisfaction(pid)
    if not s["responses"]:
        st.info("该项目还没有满意度答卷。")
        return
    c = st.columns(3)
    c[0].metric("答卷", f"{s['responses']} 份")
    c[1].metric("平均分", "—" if s["avg_score"] is None else f"{float(s['avg_score']):.2f}", help="满意度(1–5分)题的平均分")
    c[2].metric("满意率", _share(s["satisfied"]), help="满意度(1–5分)题中答 4 分或 5 分的比例")
    st.caption(f"填写日期:{formats.date(s['first_date'])} 至 {formats.date(s['last_date'])}")
    st.subheader("按满意度类别")
    table(sv.category_results(pid).drop(columns=["projects"]), f"满意度按类别-{pid}", key="survey:pcats",
          columns=dict(sv.CATEGORY_COLUMNS.without("projects")))
    st.subheader("逐题结果")
    table(sv.question_results(pid).drop(columns=["survey_id"]), f"满意度逐题-{pid}", key="survey:questions",
          columns=dict(sv.QUESTION_COLUMNS))
    texts = sv.text_answers(pid)
    if not texts.empty:
        st.subheader("意见建议")
        table(texts, f"满意度意见建议-{pid}", key="survey:texts", columns=dict(sv.TEXT_COLUMNS))
    with st.expander(f"全部答卷({s['responses']} 份)", icon=":material/list_alt:"):
        table(sv.responses(pid), f"满意度答卷-{pid}", key="survey:responses", columns=dict(sv.RESPONSE_COLUMNS))


# ---- entry and import -----------------------------------------------------------------------------------
def _survey_of(pid: int) -> int | None:
    sid = sv.survey_for_project(pid)
    if sid is None:
        st.info("还没有满意度问卷:请先在「问卷管理」中建立问卷。")
    else:
        st.caption(md(f"该项目使用的问卷:{choices.label('surveys', sid)}(项目自己的问卷优先,其次是所属批次的问卷,"
                      "再次是标准问卷)。"))
    return sid


def _entry(who, pid: int | None) -> None:
    if pid is None:
        st.info("请先在上方选择项目,再录入该项目的答卷。")
        return
    sid = _survey_of(pid)
    if sid is None:
        return
    st.caption("一份答卷对应一位受访居民;带 * 的为必填项。保存后表单清空,可接着录入下一份。")
    schema_form(sv.response_form(sid), f"survey:entry:{pid}:{sid}",
                lambda values: f"已保存答卷(编号 {sv.add_response(pid, values, who, survey_id=sid)})",
                submit_label="保存答卷", defaults=sv.entry_defaults(pid))


def _import(who, pid: int | None) -> None:
    if pid is None:
        st.info("请先在上方选择项目,再导入该项目的纸质问卷。")
        return
    if _survey_of(pid) is None:
        return
    spec = attempt(lambda: sv.import_spec(pid))
    if spec is None:
        return
    st.caption("模板的列就是问卷的题目:每行一位受访居民。满意度题填 1–5(也可写 非常满意、满意、一般、不满意、非常不满意),"
               "是否题填 是 或 否。答卷不记名,无法逐行识别重复:文件中只要有一行错误,整份文件都不导入,"
               "请改正后重新上传;确认后整份文件一次写入;已导入过的同一份文件再次导入会被拒绝。")
    import_panel(spec, f"survey:import:{pid}", noun="满意度答卷", template_name=f"满意度答卷导入模板-{pid}.xlsx",
                 commit=lambda plan: sv.import_responses(spec, plan, who))


# ---- questionnaires ----------------------------------------------------------------------------------
def _editor(base: list[dict], key: str, disabled: bool = False) -> None:
    label = sv.ROW_COLUMNS
    child_editor(base, sv.ROW_FIELDS, key, disabled=disabled, column_config={
        "text": st.column_config.TextColumn(label["text"], width="large"),
        "kind": st.column_config.SelectboxColumn(label["kind"], options=QUESTION_KINDS),
        "category": st.column_config.SelectboxColumn(label["category"], options=CATEGORIES),
        "required": st.column_config.CheckboxColumn(label["required"])})


def _instruments(who) -> None:
    df = sv.surveys()
    table(df.drop(columns=["round_id", "project_id"]), "满意度问卷", key="survey:list", export=False,
          columns=dict(sv.SURVEY_COLUMNS))
    ids = df["id"].tolist()
    sid = st.selectbox("查看或修改问卷", ids, index=0 if ids else None, key="survey:pick", placeholder="选择问卷",
                       format_func=choices.formatter("surveys"))
    if sid is not None:
        s = attempt(lambda: sv.survey(int(sid)))
        if s is not None:
            st.subheader(md(s["name"]))
            # the editor's key changes with the stored questions (its pending edits belong to the rows it showed)
            ekey = f"survey:questions:{sid}:{max((q['id'] for q in s['questions']), default=0)}:{s['responses']}"
            frozen = s["responses"] > 0
            if frozen:
                st.caption(md(sv.frozen_message(s["responses"])))

            def save(values: dict) -> str:
                rows = None if frozen else child_rows(sv.ROW_FIELDS, ekey)
                return "已保存问卷" if sv.save_survey(int(sid), values, rows, who) else "没有需要保存的修改"

            head = {k: s.get(k) for k in field_specs(Survey)}
            load(f"survey:edit:{sid}", head, Survey, token=(sid, str(s.get("updated_at")), s["responses"]))
            schema_form(Survey, f"survey:edit:{sid}", save, submit_label="保存问卷", clear_on_success=False,
                        extra=lambda: _editor(sv.question_rows(int(sid)), ekey, disabled=frozen))
    st.subheader("新建问卷")
    st.caption("题目复制自上方所选的问卷(未选时取标准问卷),可在下表中修改、删除或新增;保存后成为一份新问卷。"
               "适用于某个项目的问卷优先于批次问卷,批次问卷优先于标准问卷。")
    nkey = f"survey:new:rows:{sid}"
    base = sv.question_rows(int(sid)) if sid is not None else sv.standard_rows()

    def create(values: dict) -> None:
        new_id = sv.create_survey(values, child_rows(sv.ROW_FIELDS, nkey), who)
        flash(f"已新建问卷:{values.get('name')}(编号 {new_id})")
        st.session_state.pop(nkey, None)

    schema_form(Survey, "survey:new", create, submit_label="新建问卷",
                extra=lambda: _editor(base, nkey))


# ---- the page ----------------------------------------------------------------------------------------
def _page(key: str, title: str) -> None:
    who = require(key)
    st.title(title)
    writes = may(who, sv.RESPONSE, "create")
    if writes:
        sv.ensure_standard(hub=who.hub_id)  # the standard questionnaire of the user's hub
    pid = _project_id()
    tabs = url_tabs(TABS if writes else TABS[:1], key="view")
    with tabs[0]:
        if pid is None:
            _overview()
        else:
            _project_results(pid)
    if not writes:
        return
    with tabs[1]:
        _entry(who, pid)
    with tabs[2]:
        _import(who, pid)
    with tabs[3]:
        _instruments(who)


def render() -> None:
    """Staff and admins: questionnaires, response entry and import, results."""
    _page(PAGE, "居民满意度调查")


def overview() -> None:
    """Leaders: the results, read-only."""
    _page(PAGE_READ, "居民满意度概况")

