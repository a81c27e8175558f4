"""伙伴贡献与认领 (资源与需求): 企业公益认领 (publish, claim, complete — money goes into the project's 配套资金 —,
withdraw), the partners' contributions and the continuity of the partnerships (协议 / 多次 / 单次, per year, the share
of non-government money). Staff and admins write here; leaders read it all on 伙伴合作概况 (``overview``, no form).
The partners themselves are kept on their generic screen (合作伙伴, ``/partners``). The selected item is in the URL (``?item=N``), the tab too (``?tab=…``)."""
import streamlit as st

from core.platform import formats, importer, users
from core.platform.entities import may
from core.resources import partners as pt
from core.ui.auditlog import audit_frame
from core.ui.confirm import ask, asking, confirm_box, confirm_button
from core.ui.forms import load, schema_form
from core.ui.imports import import_panel
from core.ui.links import page_link
from core.ui.listview import list_view
from core.ui.session import attempt, flash, require, url_tabs
from core.ui.tables import display_frame, table
from core.ui.text import md
from schemas.base import field_specs
from schemas.partner import CLAIM_STATUS, MONEY, OFFERS, PARTNER_KINDS, Claim, ClaimItem, Completion, \
    Contribution

ITEM = field_specs(ClaimItem)
CLAIMED = field_specs(Claim)
GIVEN = field_specs(Contribution)


def _line(pairs) -> None:
    st.text("  ".join(f"{label}:{formats.text(value)}" for label, value in pairs))


def _item_detail(item: dict, who) -> None:
    st.subheader(md(item["title"]))
    st.text(f"认领状态:{CLAIM_STATUS[item['status']]}")
    st.text(f"{ITEM['needed']['label']}:{item['needed']}")
    project = pt.project_title(item["project_id"]) if item["project_id"] is not None else None
    _line([(ITEM["kind"]["label"], item["kind"]),
           (ITEM["amount_sought"]["label"], formats.money(item["amount_sought"]) if item["amount_sought"] else None),
           (ITEM["source"]["label"], item["source"]), (ITEM["published_on"]["label"], formats.date(item["published_on"]))])
    if item["idea_id"] is not None:
        _line([(ITEM["idea_id"]["label"], pt.idea_title(item["idea_id"]))])
    if item["need_id"] is not None:
        _line([(ITEM["need_id"]["label"], item["need_id"])])
    if project:
        _line([(ITEM["project_id"]["label"], project)])
        gap = pt.funding_gap(item["project_id"])
        if item["source"] == "项目资金缺口" and item["status"] in ("open", "claimed"):
            st.caption(f"该项目尚未落实的资金缺口约 {formats.money(gap)} 元(申请资助金额 − 资助金额 − 已有企业与捐赠配套资金)。"
                       if gap > 0 else "该项目的申请资助金额已由资助金额和企业、捐赠配套资金补足。")
    if item["partner_id"] is not None:
        _line([(CLAIMED["partner_id"]["label"], pt.partner_name(item["partner_id"])),
               (CLAIMED["claimed_on"]["label"], formats.date(item["claimed_on"])),
               (CLAIMED["pledged_amount"]["label"], formats.money(item["pledged_amount"]) if item["pledged_amount"]
                else None),
               (CLAIMED["pledge_note"]["label"], item["pledge_note"])])
    if item["status"] == "done":
        st.success(md(f"已于 {formats.date(item['completed_on'])} 到位,贡献已登记(贡献编号 {item['contribution_id']})。"))
        if item["project_id"] is not None and item["kind"] == MONEY:
            page_link("project", f"在项目档案中查看配套资金:{project}", id=item["project_id"], tab="协议与里程碑")
    if item["status"] == "withdrawn":
        st.info(md(f"已撤回:{formats.text(item['status_note'])}"))
    if not may(who, pt.CLAIM_ITEM, "update", item):
        return
    if item["status"] == "open":
        st.markdown("**登记认领**")

        def claimed(values: dict) -> None:
            pt.claim(item["id"], values, who)
            flash(f"已登记认领:{pt.partner_name(values.get('partner_id'))}")
            st.rerun()  # the item as it is now: 已认领, with its 到位 form

        schema_form(Claim, f"claim:{item['id']}", claimed, submit_label="登记认领")
    if item["status"] == "claimed":
        st.markdown("**登记到位**")
        _complete_form(item, who)
    if item["status"] in ("open", "claimed"):
        with st.expander("撤回认领项目", key=f"withdraw:open:{item['id']}"):
            reason = st.text_input("撤回原因", key=f"withdraw:reason:{item['id']}", placeholder="如 需求已由社区解决")
            confirm_button(f"withdraw:{item['id']}", "撤回", f"撤回认领项目「{item['title']}」,撤回后不再接受认领",
                           lambda: pt.withdraw(item["id"], reason, who), "已撤回认领项目",
                           disabled_reason=None if (reason or "").strip() else "请先填写撤回原因", primary=False)


def _complete_form(item: dict, who) -> None:
    """到位 cannot be undone (it records the contribution and may add money to a project): 提交 checks everything and
    says what will happen; only 确认 writes."""
    key = f"complete:{item['id']}"

    def on_submit(values: dict) -> None:
        st.session_state[f"{key}:checked"] = (values, pt.preview_completion(item["id"], values))
        ask(key)

    schema_form(Completion, key, on_submit, submit_label="登记到位", clear_on_success=False)
    if asking(key) and f"{key}:checked" in st.session_state:
        values, text = st.session_state[f"{key}:checked"]
        confirm_box(key, "到位", text, lambda: pt.complete(item["id"], values, who),
                    lambda cid: f"已登记到位(贡献编号 {cid})", once=("complete", item["id"]))


def _log(df) -> None:
    """A record's 修改记录 (who changed what, when)."""
    accounts = users.list_users()
    st.dataframe(display_frame(audit_frame(df, drop=("table_name", "row_key"),
                                           people=dict(zip(accounts["username"], accounts["name"])))),
                 hide_index=True, width="stretch", placeholder="",
                 column_config={"修改内容": st.column_config.TextColumn(width="large")})


def _contribution(who, key) -> None:
    """The selected contribution: 详情, 编辑 (the rules of 登记贡献; a claimed one keeps partner, kind and project and its
    corrected amount moves the project's 配套资金), 修改记录."""
    row = attempt(lambda: pt.get_contribution(int(key)))
    if row is None:
        return
    st.divider()
    st.subheader(md(f"{pt.partner_name(row['partner_id'])} · {formats.date(row['contributed_on'])} · {row['kind']}"))
    labels = ["详情"] + (["编辑"] if may(who, pt.CONTRIBUTION, "update", row) else []) + ["修改记录"]
    tabs = dict(zip(labels, st.tabs(labels, key="ctab")))
    with tabs["详情"]:
        shown = {**row, "partner_id": pt.partner_name(row["partner_id"]), "project_id": pt.project_title(row["project_id"]),
                 "contributed_on": formats.date(row["contributed_on"]),
                 "amount": formats.money(row["amount"]) if row["amount"] is not None else None,
                 "estimated_value": formats.money(row["estimated_value"]) if row["estimated_value"] is not None else None}
        cols = st.columns(3)
        for i, (name, meta) in enumerate(GIVEN.items()):
            cols[i % 3].text(f"{meta['label']}:{formats.text(shown.get(name))}")
        if row["claim_id"] is not None:
            st.caption(f"来自企业公益认领(认领项目编号 {row['claim_id']}):合作伙伴、贡献类型和受益项目由认领项目决定;"
                       "更正捐赠金额时,计入项目的配套资金随之调整。")
    if "编辑" in tabs:
        with tabs["编辑"]:
            form = "contribution:edit"
            load(form, row, Contribution, token=(row["id"], str(row.get("updated_at"))))
            schema_form(Contribution, form, lambda values: "已保存修改" if pt.update_contribution(row["id"], values, who)
                        else "没有需要保存的修改", submit_label="保存修改", clear_on_success=False, changes_only=True)
    with tabs["修改记录"]:
        _log(pt.contribution_history(row["id"]))


def _contributions(who, writer: bool) -> None:
    selected = list_view(pt.CONTRIBUTIONS_VIEW, "contributions", title="贡献记录", selectable=writer,
                         url_param="contribution" if writer else None)
    if writer and selected is None:
        st.caption("在表格中选择一行查看贡献详情或修改。")
    elif selected is not None:
        _contribution(who, selected)


def _claims(who) -> None:
    selected = list_view(pt.CLAIMS_VIEW, "claims", title="认领项目", url_param="item")
    if selected is None:
        st.caption("点击列表中的一行查看认领项目,登记认领、到位或撤回。")
        return
    st.divider()
    item = attempt(lambda: pt.get_item(int(selected)))
    if item is not None:
        _item_detail(item, who)


def _continuity() -> None:
    counts = pt.continuity_counts()
    cols = st.columns(len(counts))
    for col, (label, n) in zip(cols, counts.items()):
        col.metric(f"{label}(家)", formats.number(n))
    st.caption("协议合作:签订了合作协议;多次合作:在两个及以上不同年度有贡献;单次合作:只在一个年度有贡献。")
    years = pt.by_year()
    if years.empty:
        st.info("还没有贡献记录。")
        return
    st.markdown("**年度合作概况**(回头伙伴:往年已有贡献的伙伴;非政府资金:政府部门以外伙伴的资金)")
    table(years, "年度合作概况", key="partners:years", columns=pt.YEAR_COLUMNS)
    st.markdown("**按贡献类型**(次数;折合价值 = 资金 + 非资金贡献的折合价值)")
    table(pt.by_year_and_kind(), "按贡献类型", key="partners:kinds", columns=pt.pivot_labels(OFFERS))
    st.markdown("**按伙伴类型**")
    table(pt.by_year_and_partner_kind(), "按伙伴类型", key="partners:pkinds", columns=pt.pivot_labels(PARTNER_KINDS))
    st.markdown("**各伙伴合作持续性**")
    table(pt.continuity(), "合作持续性", key="partners:continuity", columns=pt.CONTINUITY_COLUMNS)


def overview() -> None:
    """伙伴合作概况: what leaders read — the partners, the claimable items, the contributions, the continuity."""
    who = require("partner_overview")
    st.title("伙伴合作概况")
    tabs = url_tabs(["合作持续性", "合作伙伴", "企业公益认领", "贡献记录"])
    if tabs[0].open:  # the read-only tabs are drawn when shown (no input to lose)
        with tabs[0]:
            _continuity()
    if tabs[1].open:
        with tabs[1]:
            list_view(pt.PARTNERS_VIEW, "partner_list", title="合作伙伴", selectable=False, url_param=None)
    with tabs[2]:
        _claims(who)
    if tabs[3].open:
        with tabs[3]:
            list_view(pt.CONTRIBUTIONS_VIEW, "contributions", title="贡献记录", selectable=False, url_param=None)


def render() -> None:
    who = require("partner_claims")
    st.title("伙伴贡献与认领")
    writer = may(who, pt.CLAIM_ITEM, "create")
    labels = ["企业公益认领"] + (["发布认领项目"] if writer else []) + ["贡献记录"] + (["登记贡献"] if writer else []) \
        + ["合作持续性"]
    tabs = dict(zip(labels, url_tabs(labels)))
    with tabs["企业公益认领"]:
        _claims(who)
    if writer:
        with tabs["发布认领项目"]:
            schema_form(ClaimItem, "claim_new", lambda v: f"已发布认领项目(编号 {pt.publish(v, who)})",
                        submit_label="发布", wide=("needed",))
        with tabs["登记贡献"]:
            schema_form(Contribution, "contribution_new",
                        lambda v: f"已登记贡献(编号 {pt.add_contribution(v, who)})", submit_label="登记贡献")
            with st.expander("从Excel导入贡献记录", icon=":material/upload_file:"):
                st.caption("导入的贡献只作记录(资金经企业公益认领到位才计入项目的配套资金);有错误行时整份文件都不导入,"
                           "改正后重新上传;与已登记贡献相同的行标为「已存在」并跳过。")
                spec = pt.contribution_import_spec()
                import_panel(spec, "contribution:import", noun="贡献记录", template_name="伙伴贡献导入模板.xlsx",
                             commit=lambda plan: importer.commit(spec, plan, who))
    with tabs["贡献记录"]:
        _contributions(who, writer)
    if tabs["合作持续性"].open:  # read only: drawn when shown
        with tabs["合作持续性"]:
            _continuity()
