"""创投批次 (admin): set up rounds, their phases, checklist, scoring options and category quotas."""
import streamlit as st

from core.intake import rounds
from core.ui.forms import load, schema_form
from core.ui.kept_tabs import opened, was_drawn
from core.ui.tables import table as show_table
from core.ui.session import act, require, url_tabs
from schemas.choices import PROJECT_CATEGORIES
from schemas.round import Round


def _edit(r: dict, who) -> None:
    frozen = rounds.is_frozen(r["id"])
    if frozen:
        st.warning("该批次已有申报,设置已冻结。如确需修改,请填写修改原因,修改将记入审计日志。")
        st.text_input("修改原因(冻结后修改必填)", key="round_edit:reason")
    load("round_edit", r, Round, token=(r["id"], str(r.get("updated_at"))))

    def save(values: dict) -> str:
        reason = st.session_state.get("round_edit:reason") if frozen else None
        changed = rounds.update(r["id"], values, who, override_reason=reason)
        if changed:  # a reason explains one change: the next change needs its own
            st.session_state.pop("round_edit:reason", None)
        return "已保存修改" if changed else "没有需要保存的修改"

    schema_form(Round, "round_edit", save, submit_label="保存批次设置", clear_on_success=False, changes_only=True)

    st.subheader("类别资金额度(可选)")
    current = rounds.quotas(r["id"])
    cols = st.columns(3)
    wanted = {}
    for i, cat in enumerate(r["categories"] or []):
        wanted[cat] = cols[i % 3].number_input(f"{cat}(元)", min_value=0.0, step=10000.0, format="%.2f",
                                               value=float(current.get(cat, 0.0)), key=f"quota:{r['id']}:{cat}")
    def save_quotas() -> None:
        rounds.set_quotas(r["id"], wanted, who,
                          override_reason=st.session_state.get("round_edit:reason") if frozen else None)
        st.session_state.pop("round_edit:reason", None)  # a reason explains one change

    if st.button("保存类别额度", key=f"quota:save:{r['id']}"):
        act(save_quotas, "已保存类别额度")


def render() -> None:
    who = require("rounds")
    st.title("创投批次")
    same_visit = was_drawn("rounds:list:xlsx")  # the list's 导出Excel button, drawn in every run of this screen
    table = rounds.all_rounds()
    show_table(table, rounds.ROUND.label, key="rounds:list", columns=rounds.LIST_COLUMNS)
    # Two full forms (about 1,250 elements): a tab is drawn from the run it is opened in on this visit
    # (core.ui.kept_tabs), so a sidebar click draws one form, and what was typed into the other stays.
    tab_edit, tab_new = url_tabs(["查看与修改", "新建批次"])
    draw_edit, draw_new = opened([tab_edit, tab_new], "rounds", same_visit)
    if draw_new:
        with tab_new:
            schema_form(Round, "round_new", lambda values: f"已创建批次(编号 {rounds.create(values, who)})",
                        submit_label="创建批次", defaults=rounds.defaults(hub_id=who.hub_id))
            st.caption("默认类别:" + "、".join(PROJECT_CATEGORIES) + "(可增删)。")
    if not draw_edit:
        return
    with tab_edit:
        ids = table["id"].tolist()
        names = dict(zip(table["id"], table["name"]))
        chosen = st.selectbox("选择批次", ids, format_func=lambda i: names.get(i, str(i)), index=0 if ids else None,
                              key="round:chosen")
        if chosen is None:
            st.info("还没有批次,请先新建。")
            return
        r = rounds.get(int(chosen))
        st.caption(f"当前阶段:{rounds.phase(r)}")
        _edit(r, who)
