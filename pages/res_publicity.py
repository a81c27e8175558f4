"""宣传: the 宣传台账 (posts on 微信公众号 and media reports, tied to projects and brands) with its Excel import and export,
and the reach per year, channel and brand. Staff and admins write; leaders read the totals. Thin: every read and
write goes through core.resources.publicity."""
import streamlit as st

from core.platform import formats, users
from core.platform.entities import may
from core.resources import publicity as pub
from core.ui.auditlog import audit_frame
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.listview import list_view
from core.ui.session import attempt, require, url_tabs
from core.ui.tables import display_frame, table
from core.ui.text import md
from schemas.base import field_specs
from schemas.publicity import PublicityItem

PAGE, PAGE_READ = "res_publicity", "res_publicity_read"
SHOWN = {"project_id": "project", "brand_id": "brand"}  # the ids shown by name


def _details(row: dict) -> None:
    specs = field_specs(PublicityItem)
    cols = st.columns(3)
    for i, name in enumerate(n for n in specs if n not in ("title", "link", "notes")):
        value = row.get(SHOWN.get(name, name))
        cols[i % 3].text(f"{specs[name]['label']}:{formats.text(value)}")  # st.text: never markup
    st.text(f"{specs['title']['label']}:{row['title']}")
    st.text(f"{specs['link']['label']}:{formats.text(row.get('link'))}")
    if row.get("link"):
        st.link_button("打开原文", row["link"], icon=":material/open_in_new:")
    st.text(f"{specs['notes']['label']}:{formats.text(row.get('notes'))}")


def _history(key: int) -> None:
    accounts = users.list_users()
    log = audit_frame(pub.history(key), drop=("table_name", "row_key"),
                      people=dict(zip(accounts["username"], accounts["name"])))
    st.dataframe(display_frame(log), hide_index=True, width="stretch", placeholder="",
                 column_config={"修改内容": st.column_config.TextColumn(width="large")})


def _item(who, key: int) -> None:
    row = attempt(lambda: pub.item(key))
    if row is None:
        return
    st.divider()
    st.subheader(md(row["title"]))
    editable = may(who, pub.PUBLICITY, "update", row)
    labels = ["详情"] + (["编辑"] if editable else []) + ["修改记录"]
    tabs = dict(zip(labels, st.tabs(labels, key="ptab")))
    with tabs["详情"]:
        _details(row)
    if editable:
        with tabs["编辑"]:
            form = "publicity:edit"
            load(form, row, PublicityItem, token=(key, str(row.get("updated_at"))))
            schema_form(PublicityItem, form, lambda values: "已保存修改" if pub.update_item(key, values, who)
                        else "没有需要保存的修改", submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tabs["修改记录"]:
        _history(key)


def _reach() -> None:
    s = pub.summary()
    c = st.columns(4)
    c[0].metric("宣传记录", f"{s['items']} 条")
    c[1].metric("日常服务信息", f"{s['daily']} 篇")
    c[2].metric("媒体报道(省市区级)", f"{s['media_dcp']} 篇", help=f"媒体报道共 {s['media']} 篇")
    c[3].metric("阅读量合计", formats.number(s["reads"]))
    st.subheader("按品牌")
    brands = pub.reach_by_brand()
    table(brands[list(pub.REACH_COLUMNS)], "宣传按品牌", key="pub:brand", columns=pub.REACH_COLUMNS)
    names = dict(zip(brands["brand_id"], brands["brand"]))
    pick = st.selectbox("查看品牌的宣传记录", list(names), format_func=names.get, index=None, placeholder="选择品牌",
                        key="pub:brand:pick")
    if pick is not None:
        rows = pub.of_brand(int(pick))
        if rows.empty:
            st.info("该品牌还没有宣传记录。")
        else:
            cols = pub.RECORD_COLUMNS.without("id")
            table(rows[list(cols)], f"宣传记录-{names[pick]}", key="pub:brand:rows", columns=cols)
    st.subheader("按年度")
    table(pub.publicity_by_year(), "宣传按年度", key="pub:year", columns=pub.YEAR_COLUMNS)
    st.subheader("按渠道")
    table(pub.by_channel(), "宣传按渠道", key="pub:channel", columns=pub.CHANNEL_COLUMNS)


def render() -> None:
    """Staff and admins: keep the 宣传台账 (record, edit, import the Excel 台账, export) and read the reach."""
    who = require(PAGE)
    st.title("宣传台账")
    writes = may(who, pub.PUBLICITY, "create")
    tabs = url_tabs(["宣传台账", "登记宣传", "从Excel导入", "传播统计"] if writes else ["宣传台账", "传播统计"],
                    key="view")
    with tabs[0]:
        selected = list_view(pub.LIST_VIEW, "publicity", title="宣传台账")
        if selected is None:
            st.caption("在表格中选择一行查看详情、原文链接和修改记录。")
        else:
            _item(who, int(selected))
    if writes:
        with tabs[1]:
            st.caption("带 * 的为必填项。关联项目和关联品牌至少选一项;媒体报道不选级别时按渠道的常用级别计。")
            schema_form(PublicityItem, "publicity:new",
                        lambda values: f"已登记宣传记录:{values.get('title')}(编号 {pub.add_item(values, who)})",
                        submit_label="登记")
        with tabs[2]:
            st.caption("整张台账一次导入:有一行错误时不导入任何记录;与已登记记录渠道、标题、日期都相同的行跳过。")
            spec = pub.import_spec()
            import_panel(spec, "publicity:import", noun="宣传记录", template_name="宣传台账导入模板.xlsx",
                         commit=lambda plan: pub.commit_import(spec, plan, who))
    with tabs[-1]:
        _reach()


def overview() -> None:
    """Leaders: the reach per brand, year and channel (read-only)."""
    require(PAGE_READ)
    st.title("宣传概况")
    st.caption("荟益沙、下沙发布等公众号发布的日常服务信息和品牌故事,以及区、市、省级媒体的报道。")
    _reach()
