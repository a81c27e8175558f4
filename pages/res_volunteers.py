"""志愿者: the register (phones masked except on a volunteer's own record for staff), recruitment (open calls and
sign-ups), service hours per ledger activity, and the totals. Staff and admins write; leaders read. Thin: every read
and write goes through core.resources.volunteers."""
import datetime as dt

import streamlit as st

from core.platform import formats, importer, users
from core.platform.entities import may
from core.resources import volunteers as vol
from core.ui.auditlog import audit_frame
from core.ui.confirm import confirm_button
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.listview import list_view
from core.ui.session import attempt, require, url_tabs
from core.ui.tables import display_frame, table
from core.ui.text import md
from schemas import choices
from schemas.base import field_specs
from schemas.volunteer import Volunteer, VolunteerCall, VolunteerService, VolunteerSignup

PAGE, PAGE_READ = "res_volunteers", "res_volunteers_read"


def _details(row: dict) -> None:
    specs = field_specs(Volunteer)
    shown = {**row, "org_id": row.get("org")}
    cols = st.columns(3)
    for i, name in enumerate(n for n in specs if n != "notes"):
        cols[i % 3].text(f"{specs[name]['label']}:{formats.text(shown.get(name))}")
    st.text(f"{specs['notes']['label']}:{formats.text(row.get('notes'))}")


def _volunteer(who, key) -> None:
    row = attempt(lambda: vol.volunteer(key, who))
    if row is None:
        return
    st.divider()
    st.subheader(md(row["name"]))
    editable = may(who, vol.VOLUNTEER, "update", row)
    labels = ["详情"] + (["编辑"] if editable else []) + ["服务记录"]
    tabs = dict(zip(labels, st.tabs(labels, key="vtab")))
    with tabs["详情"]:
        _details(row)
        if not vol.sees_full_phone(who):
            st.caption("联系电话已隐去中间四位(仅中心工作人员可查看完整号码)。")
    if editable:
        with tabs["编辑"]:
            form = "volunteer:edit"
            load(form, row, Volunteer, token=(key, str(row.get("updated_at"))))
            schema_form(Volunteer, form, lambda values: "已保存修改" if vol.records.update(vol.VOLUNTEER, key, values, who)
                        else "没有需要保存的修改", submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tabs["服务记录"]:
        df = vol.services_of_volunteer(key)
        if df.empty:
            st.info("该志愿者还没有服务记录。")
        else:
            table(df, f"{row['name']}服务记录", key="vol:own", columns=dict(vol.SERVICE_COLUMNS))


def _register(who, writes: bool) -> None:
    selected = list_view(vol.LIST_VIEW, "volunteer", title="志愿者名册")
    if selected is None:
        st.caption("在表格中选择一行查看志愿者详情与服务记录。联系电话在列表和导出中均隐去中间四位。")
    else:
        _volunteer(who, selected)
    if not writes:
        return
    with st.expander("登记志愿者", icon=":material/person_add:"):
        st.caption("带 * 的为必填项。登记联系电话须先取得本人同意,并填写同意日期和方式。")
        schema_form(Volunteer, "volunteer:new",
                    lambda values: f"已登记志愿者:{values.get('name')}(编号 {vol.add_volunteer(values, who)})",
                    submit_label="登记")
    with st.expander("从Excel导入志愿者", icon=":material/upload_file:"):
        spec = vol.import_spec()
        import_panel(spec, "volunteer:import", noun="志愿者", template_name="志愿者导入模板.xlsx",
                     commit=lambda plan: importer.commit(spec, plan, who))


def _recruitment(who, writes: bool) -> None:
    calls = vol.calls()
    if calls.empty:
        st.info("还没有志愿者招募。" + ("可在下方发布招募。" if writes else ""))
    else:
        table(calls, "志愿者招募", key="vol:calls", columns=dict(vol.CALL_COLUMNS))
        ids = calls["id"].tolist()
        pick = st.selectbox("查看报名名单", ids, key="vol:call",
                            format_func=choices.formatter("volunteer_calls"))
        if pick is not None:
            row = calls[calls["id"] == pick].iloc[0]
            st.caption(f"招募人数 {row['places']},已报名 {row['signed']},状态:{row['status']}")
            names = vol.signups(pick)
            if names.empty:
                st.info("还没有志愿者报名。")
            else:
                table(names, "报名名单", key=f"vol:signups:{pick}", columns=dict(vol.SIGNUP_COLUMNS))
            if writes and row["status"] != vol.ENDED:
                confirm_button(f"vol:end:{pick}", "结束此招募", "结束后该招募不再接受报名", primary=False,
                               fn=lambda: vol.set_call_status(pick, vol.ENDED, who), ok="已结束该招募",
                               once=("end_call", pick))
    if not writes:
        return
    with st.expander("登记报名", icon=":material/how_to_reg:"):
        st.caption("每位志愿者每个招募只能报名一次;名额报满后招募自动转为「已满员」。")
        schema_form(VolunteerSignup, "volunteer:signup",
                    lambda values: f"已登记报名(编号 {vol.sign_up(values, who)})", submit_label="登记报名",
                    defaults={"signed_on": dt.date.today()})
    with st.expander("发布招募", icon=":material/campaign:"):
        schema_form(VolunteerCall, "volunteer:call",
                    lambda values: f"已发布招募:{values.get('title')}(编号 {vol.publish_call(values, who)})",
                    submit_label="发布", fields=[n for n in field_specs(VolunteerCall) if n != "status"])


def _log(df) -> None:
    """A record's 修改记录 (who changed what, when)."""
    accounts = users.list_users()
    st.dataframe(display_frame(audit_frame(df, drop=("table_name", "row_key"),
                                           people=dict(zip(accounts["username"], accounts["name"])))),
                 hide_index=True, width="stretch", placeholder="",
                 column_config={"修改内容": st.column_config.TextColumn(width="large")})


def _correct_service(who, activity: int) -> None:
    """Pick one of the activity's service records and correct it (the same rules as 登记), with its 修改记录."""
    options = vol.service_choices(activity)
    if not options:
        return
    st.markdown("**修改服务记录**")
    pick = st.selectbox("选择要修改的服务记录", list(options), index=None, key=f"vol:fix:{activity}",
                        format_func=options.get, placeholder="选择志愿者的服务记录")
    if pick is None:
        return
    row = attempt(lambda: vol.get_service(pick))
    if row is None:
        return
    form = "volunteer:service:edit"
    load(form, row, VolunteerService, token=(pick, str(row.get("updated_at"))))
    schema_form(VolunteerService, form, lambda values: "已保存修改" if vol.update_service(pick, values, who)
                else "没有需要保存的修改", submit_label="保存修改", clear_on_success=False, changes_only=True,
                fields=["volunteer_id", "activity_id", "hours", "role", "notes"])
    with st.expander("修改记录", icon=":material/history:"):
        _log(vol.service_history(pick))


def _hours(who, writes: bool) -> None:
    if writes:
        with st.expander("从Excel导入服务时长", icon=":material/upload_file:"):
            st.caption("各社会组织报来的志愿服务时长表:每行一位志愿者在一次活动中的服务,志愿者按名册写「姓名(社区)」,"
                       "活动写服务台账中的活动编号。有错误行时整份文件都不导入,改正后重新上传;已登记过的行标为「已存在」并跳过。")
            spec = vol.service_import_spec()
            import_panel(spec, "volunteer:service:import", noun="服务记录", template_name="志愿服务时长导入模板.xlsx",
                         commit=lambda plan: vol.import_services(plan, who))
    projects = choices.get("projects")
    project = st.selectbox("项目", projects, index=None, key="vol:project", placeholder="选择项目",
                           format_func=choices.formatter("projects"))
    if project is None:
        st.caption("选择项目和服务活动,查看并登记志愿者的服务时长。")
        return
    acts = vol.project_activities(project)
    if acts.empty:
        st.info("该项目的服务台账中还没有活动。")
        return
    labels = {r.id: f"{formats.date(r.activity_date)} {r.title}(编号 {r.id},志愿者 {r.volunteers} 人)"
              for r in acts.itertuples()}
    activity = st.selectbox("服务活动", list(labels), key="vol:activity", format_func=labels.get)
    done = vol.services_of_activity(activity)
    if done.empty:
        st.info("该活动还没有志愿服务记录;台账中的志愿者人数为登记活动时填写的人数。")
    else:
        st.caption(f"台账中的志愿者人数按服务记录计为 {len(done)} 人。")
        table(done, "活动志愿服务记录", key="vol:act", columns=dict(vol.SERVICE_COLUMNS))
    if writes:
        st.markdown("**登记服务时长**")
        schema_form(VolunteerService, f"volunteer:service:{activity}",
                    lambda values: f"已登记服务记录(编号 {vol.record_service({**values, 'activity_id': activity}, who)})",
                    submit_label="登记", fields=["volunteer_id", "hours", "role", "notes"])
        _correct_service(who, activity)


def _totals() -> None:
    s = vol.summary()
    c = st.columns(5)
    c[0].metric("登记志愿者", f"{s['volunteers']} 人")
    c[1].metric("已同意个人信息使用", f"{s['consented']} 人")
    c[2].metric("有服务记录", f"{s['serving']} 人")
    c[3].metric("服务时长合计(小时)", formats.number(s["hours"]))
    c[4].metric("招募中", f"{s['open_calls']} 个")
    for by, title, cols in (("volunteer", "按志愿者", vol.BY_VOLUNTEER), ("org", "按服务组织", vol.BY_ORG),
                            ("project", "按项目", vol.BY_PROJECT)):
        st.subheader(title)
        table(vol.totals(by), f"志愿服务统计{title}", key=f"vol:tot:{by}", columns=cols)


def _page(key: str, title: str) -> None:
    who = require(key)
    st.title(title)
    writes = may(who, vol.VOLUNTEER, "create")
    tabs = url_tabs(["志愿者名册", "志愿者招募", "服务时长", "服务统计"], key="view")
    with tabs[0]:
        _register(who, writes)
    with tabs[1]:
        _recruitment(who, writes)
    with tabs[2]:
        _hours(who, writes)
    if tabs[3].open:  # read only (no input to lose): drawn when shown
        with tabs[3]:
            _totals()


def render() -> None:
    """Staff and admins: keep the register, publish calls, record sign-ups and hours."""
    _page(PAGE, "志愿者")


def overview() -> None:
    """Leaders: the same screens read-only, every phone masked."""
    _page(PAGE_READ, "志愿者概况")
