"""A column's format (money, percent, ratio, number, date, text, choice) is declared once, where its label is
(issue 16): ``schemas.base.field(format=...)``, ``schemas.columns.money/percent/ratio/number`` for computed and
system columns; screens (``core.ui.listview._for_display``), Excel exports (``core.platform.excel.workbook_bytes``)
and the 审计日志 read it through ``schemas.columns.format_of``. Nothing is guessed from the words of a header."""
from __future__ import annotations

import importlib
import io
import pkgutil

import pandas as pd
import pytest
from openpyxl import load_workbook

import core
import schemas
from core.platform.excel import workbook_bytes
from core.ui.listview import _for_display
from schemas import columns as C


def _import_everything() -> None:
    """Every module that declares labels (schemas, and core outside its screens and demo builders)."""
    for package in (schemas, core):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.startswith(("core.ui", "core.demo")):
                importlib.import_module(info.name)


def _declared_labels() -> dict[str, str | None]:
    """Every label any module declares (form fields, computed columns, system columns) -> its format."""
    _import_everything()
    from schemas.base import LABEL_FORMATS

    labels = {*LABEL_FORMATS, *C.COMPUTED_LABELS, *C.SYSTEM.values()}
    return {str(text): C.format_of(text) for text in labels}


def _workbook(df: pd.DataFrame):
    return load_workbook(io.BytesIO(workbook_bytes({"s": df}))).active


def test_every_label_naming_yuan_is_declared_money_and_every_percent_label_a_percentage():
    labels = _declared_labels()
    yuan = {t: f for t, f in labels.items() if "(元)" in t}
    assert {"申请资助金额(元)", "资助金额(元)", "剩余可分配(元)", "计划金额(元)", "追回金额(元)", "预算:人员(元)",
            "类别资金额度(元)", "配套资金:自筹(元)"} <= set(yuan)
    assert {t: f for t, f in yuan.items() if f != "money"} == {}
    pct = {t: f for t, f in labels.items() if "(%)" in t}
    assert {"资助金额占比(%)", "比例(%)", "执行率(%)", "到课率(%)"} <= set(pct)
    assert {t: f for t, f in pct.items() if f not in ("percent", "ratio")} == {}
    # money the words of a header do not name: declared all the same
    assert (C.format_of("已决定资助金额"), C.format_of("拨付比例"), C.format_of("资助项目")) == ("money", "percent", "number")


def test_formats_of_fields_follow_the_declaration_or_the_widget():
    from schemas.application import Application
    from schemas.base import field_specs
    from schemas.stored import Tranche

    app = field_specs(Application)
    assert (app["requested_amount"]["format"], app["title"]["format"]) == ("money", "text")
    assert (app["category"]["format"], app["budget_other"]["format"]) == ("choice", "money")
    tranche = field_specs(Tranche)
    assert (tranche["share"]["format"], tranche["amount"]["format"], tranche["planned_date"]["format"],
            tranche["seq"]["format"]) == ("percent", "money", "date", "number")
    assert C.format_of("amount") == "money"  # a system column's name reads as its label does


def test_a_count_whose_header_names_funding_is_not_money():
    from core.incubation import support

    header = support.SUMMARY_LABELS["funded_projects"]
    assert header == "资助项目"
    df = pd.DataFrame({header: [3, 1234], "份数": [2.0, None]})
    shown = _for_display(df)
    assert shown[header].tolist() == [3, 1234]  # a whole-number column stays numbers (never "1,234" as money text)
    ws = _workbook(df)
    assert [(c.value, c.number_format) for c in ws["A"][1:]] == [(3, "General"), (1234, "General")]


def test_declared_percentages_ratios_and_money_read_as_such_on_screens_and_in_excel():
    from core.incubation import lifecycle
    from core.monitoring import money

    points = lifecycle.COVERAGE_COLUMNS["granted_share"]  # 资助金额占比(%): 85 means 85%
    share = C.ratio("测试用完成比例")  # a fraction: 0.5 means 50%
    amount = money.TRANCHE_COLUMNS["amount"]
    df = pd.DataFrame({points: [85.0, 12.35, None], share: [0.5, 0.285, 0.2], amount: [24800.0, 24800.5, 1.0]})
    shown = _for_display(df)
    assert shown[points].tolist() == ["85%", "12.4%", ""]
    assert shown[share].tolist() == ["50%", "28.5%", "20%"]
    assert shown[amount].tolist() == ["24,800", "24,800.50", "1"]
    ws = _workbook(df)
    cells = {h.value: [(c.value, c.number_format) for c in ws[h.column_letter][1:]] for h in ws[1]}
    assert cells[points] == [(85, '0"%"'), (12.35, '0.0"%"'), (None, "General")]  # still numbers: sums work
    assert cells[share] == [(0.5, "0%"), (0.285, "0.0%"), (0.2, "0%")]
    assert cells[amount] == [(24800, "#,##0"), (24800.5, "#,##0.00"), (1, "#,##0")]


def test_the_audit_view_reads_the_declared_formats():
    from core.ui import auditlog

    assert auditlog.value_text("tranches", "share", 30.0) == "30%"  # stored in points (50, 30, 20)
    assert auditlog.value_text("tranches", "amount", 12000.5) == "12,000.50"
    assert auditlog.value_text("monitoring_policies", "expense_margin", 10.0) == "10%"
    assert auditlog.value_text("monitoring_policies", "tranche_shares", [50, 30, 20]) == "50%、30%、20%"
    assert auditlog.value_text("tranches", "seq", 2) == "2"


def test_one_label_declared_with_two_formats_is_refused_at_import():
    from schemas.base import FormatConflict, field

    C.money("测试用标签甲(元)")
    assert C.money("测试用标签甲(元)") == "测试用标签甲(元)"  # the same declaration again is fine
    with pytest.raises(FormatConflict, match=r"测试用标签甲\(元\).*money.*test_formats_declared.*percent"):
        C.percent("测试用标签甲(元)")
    with pytest.raises(FormatConflict, match="测试用标签甲"):
        field("测试用标签甲(元)", widget="float")  # a float field: a number, not the money declared above
    with pytest.raises(ValueError, match="unknown format"):
        field("测试用标签乙", widget="float", format="currency")


def test_a_label_naming_yuan_without_money_fails_the_start_up_check(monkeypatch):
    from core import checks
    from schemas import base

    monkeypatch.setitem(base.LABEL_FORMATS, "测试用余额(元)", ("number", "tests:1"))
    monkeypatch.setitem(C.COMPUTED_LABELS, "测试用占比(%)", "tests:2")
    problems = [p for p in checks.run() if p.startswith("format.")]
    assert problems == ["format.E001 the label '测试用余额(元)' (tests:1) names 元 but reads as number: "
                        "declare it money (field(format=\"money\") or schemas.columns.money)",
                        "format.E002 the label '测试用占比(%)' (tests:2) names % but reads as nothing declared: "
                        "declare it percent (in points) or ratio (a fraction)"]


def test_stage_coverage_shares_show_as_percentages(demo_db):
    from core.incubation import lifecycle
    from tests.apptest_helpers import open_page, signed_in

    at = open_page(signed_in("staff", ["staff"]).run(), "incubation-ratings")
    assert not at.exception
    cov = next(d.value for d in at.dataframe if "服务缺口" in d.value.columns)
    from core.orgs import hubs
    from tests.test_hub_isolation import screen_of

    with screen_of(hubs.actor_for("staff", ("staff",), demo_db)):  # the screen's reader: 下沙's figures
        raw = lifecycle.coverage()
    for name in ("hours_share", "persons_share", "granted_share"):
        shown = cov[lifecycle.COVERAGE_COLUMNS[name]].tolist()
        assert shown == [("" if pd.isna(v) else f"{v:g}%") for v in raw[name]], name
        assert any(s.endswith("%") for s in shown)
    from core.platform import formats

    granted = cov[lifecycle.COVERAGE_COLUMNS["granted"]].tolist()
    assert granted == [formats.money(v, "") for v in raw["granted"]]  # amounts with separators
