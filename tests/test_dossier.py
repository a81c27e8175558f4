"""一项目一档案: the workbook's sheets equal the database (row counts and values per sheet) and the zip
holds the workbook and every attachment of the application and of its activities, byte for byte."""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from core.monitoring import dossier, evaluations, ledger, money, projects
from core.platform import documents, records
from core.platform.errors import NotFound
from core.review import decisions
from tests.monitoring_fixtures import agreement
from tests.test_documents import PDF, image
from tests.test_ledger import act
from tests.test_reviews import assign_all, experts, in_review, score
from tests.test_rounds import ADMIN, STAFF, hub, make_round, walk  # noqa: F401  (hub: fixture)

D = dt.date


@pytest.fixture
def case(hub, isolated):
    """A project with two expert reviews, two application attachments, three activities (one with two
    photos), a released tranche, two expenses, a mid-term evaluation and a formula-looking note."""
    rid = make_round(total_budget=1_000_000)
    app_id = in_review(rid, 1, title="幸福食堂助餐服务")
    panel = experts(2)
    for task, who, total in zip(assign_all(app_id, panel), panel, (86, 78)):
        score(task, who, rid, total)
    walk(app_id, "reviewed", "recommended", actor=STAFF)
    decisions.decide(app_id, {"decision": "资助", "granted_amount": 40000, "note": None}, ADMIN)
    walk(app_id, "funded", actor=ADMIN)
    pid = projects.sign_agreement(app_id, agreement(app_id, notes="=HYPERLINK(\"http://x\")"), STAFF)
    app_docs = {documents.attach("applications", app_id, "申报书.pdf", PDF, STAFF): PDF,
                documents.attach("applications", app_id, "../预算表.png", image("PNG"), STAFF): image("PNG")}
    a1 = ledger.add(act(pid, D(2026, 6, 10), "入户探访", participants=8, person_times=8), STAFF)
    ledger.add(act(pid, D(2026, 7, 1), "健康讲座", kind="讲座培训", participants=30, person_times=36), STAFF)
    ledger.add(act(pid, D(2026, 8, 5), "邻里节", participants=50, person_times=60, notes="雨天改室内"), STAFF)
    jpeg = image("JPEG")
    photo_docs = {ledger.attach_photo(a1, "现场1.jpg", jpeg, STAFF): jpeg,
                  ledger.attach_photo(a1, "现场2.png", image("PNG"), STAFF): image("PNG")}
    first = hub.scalar("SELECT id FROM tranches WHERE project_id = ? AND seq = 1", [pid])
    with records.unit(STAFF) as u:
        u.update(money.TRANCHE, first, {}, system={"status": "released", "released_on": D(2026, 6, 5),
                                                   "released_amount": 20000, "approver": "陈主任"}, validated=True)
        for day, amount, voucher in ((D(2026, 6, 20), 3000, "PZ-001"), (D(2026, 7, 10), 1250.5, "PZ-002")):
            u.create(money.EXPENSE, {"expense_date": day, "line": "budget_materials", "amount": amount,
                                     "description": "活动物资", "voucher_no": voucher, "over_reason": None},
                     system={"project_id": pid})
        u.create(evaluations.EVALUATION, {
            "project_id": pid, "kind": "midterm", "report_date": D(2026, 10, 20), "self_report": "完成过半",
            "eval_date": D(2026, 10, 28), "method": "实地", "evaluator": "王敏",
            "item_scores": json.dumps({"目标完成情况": 26, "服务成效与满意度": 21.5}, ensure_ascii=False),
            "total_score": 86.0, "grade": "A", "passed": True, "outcome": "pass", "recover_amount": None,
            "conclusion": "中期评估通过"}, validated=True)
        projects.add_event_in(u, pid, "中期评估:通过", "总分 86", D(2026, 10, 28))
    return {"pid": pid, "app": app_id, "app_docs": app_docs, "photo_docs": photo_docs, "activity": a1}


def read(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def pairs(rows: list[tuple]) -> dict:
    assert rows[0] == ("项目", "内容")
    return {k: v for k, v in rows[1:]}


def test_the_workbook_sheets_equal_the_database(case, hub):
    pid, app_id = case["pid"], case["app"]
    book = read(dossier.workbook(pid))
    assert list(book) == list(dossier.SHEETS)
    p = projects.get(pid)

    overview = pairs(book["项目概况"])
    assert (overview["协议编号"], overview["项目名称"], overview["承接组织"], overview["项目状态"]) == (
        p["agreement_no"], "幸福食堂助餐服务", p["org"], "执行中")
    assert overview["资助金额(元)"] == 40000 and overview["执行开始"].date() == p["start_date"]
    assert overview["服务社区"] == "文海社区、高沙社区"
    assert overview["计划活动场次"] == p["planned_activities"]
    assert overview["备注"] == "'=HYPERLINK(\"http://x\")"  # neutralised, not a formula

    application = pairs(book["申报书"])
    app = hub.fetch_one("SELECT * FROM applications WHERE id = ?", [app_id])
    assert application["申报编号"] == app_id and application["申报状态"] == "已立项资助"
    assert (application["项目名称"], application["需求分析"], application["申请资助金额(元)"]) == (
        app["title"], app["needs_analysis"], float(app["requested_amount"]))
    assert application["预算:人员(元)"] == float(app["budget_personnel"])
    assert application["创投批次"] == p["round"] and application["申报组织"] == p["org"]
    assert application["里程碑 1"] == "2026-09-30 中期自评报告"
    assert application["里程碑 2"] == "2027-03-15 结项报告"

    reviews = book["评审得分"]
    stored = hub.fetch_all("SELECT u.name AS reviewer, c.name, s.score, v.total FROM review_scores s JOIN reviews v"
                           " ON v.id = s.review_id JOIN rubric_criteria c ON c.id = s.criterion_id"
                           " JOIN users u ON u.username = v.reviewer"
                           " WHERE v.application_id = ? ORDER BY v.reviewer, c.seq", [app_id])
    assert len(reviews) - 1 == len(stored) == 12  # 2 reviewers x 6 criteria
    header = reviews[0]
    col = {h: i for i, h in enumerate(header)}
    assert [(r[col["评审专家"]], r[col["评分项"]], r[col["得分"]], r[col["加权总分"]]) for r in reviews[1:]] == [
        (s["reviewer"], s["name"], s["score"], s["total"]) for s in stored]
    assert {r[col["评审专家"]] for r in reviews[1:]} == {"专家01", "专家02"}  # by 姓名, never the account name

    tranches = book["拨付记录"]
    assert len(tranches) - 1 == hub.scalar("SELECT count(*) FROM tranches WHERE project_id = ?", [pid]) == 3
    col = {h: i for i, h in enumerate(tranches[0])}
    first = tranches[1]
    assert (first[col["期次"]], first[col["状态"]], first[col["拨付金额(元)"]], first[col["审批人"]]) == (
        1, "已拨付", 20000, "陈主任")
    assert [r[col["拨付条件"]] for r in tranches[1:]] == ["签约后", "中期评估通过后", "末期评估通过后"]
    assert [r[col["计划金额(元)"]] for r in tranches[1:]] == [20000, 12000, 8000]

    spent = book["经费支出"]
    col = {h: i for i, h in enumerate(spent[0])}
    assert [(r[col["凭证号"]], r[col["预算科目"]], r[col["金额(元)"]]) for r in spent[1:]] == [
        ("PZ-001", "物资", 3000), ("PZ-002", "物资", 1250.5)]

    ledger_rows = book["服务台账"]
    col = {h: i for i, h in enumerate(ledger_rows[0])}
    assert len(ledger_rows) - 1 == hub.scalar("SELECT count(*) FROM activities WHERE project_id = ?", [pid]) == 3
    assert [(r[col["活动主题"]], r[col["服务人次"]], r[col["照片数"]]) for r in ledger_rows[1:]] == [
        ("入户探访", 8, 2), ("健康讲座", 36, 0), ("邻里节", 60, 0)]
    assert ledger_rows[3][col["备注"]] == "雨天改室内"

    evals = book["中期末期评估"]
    col = {h: i for i, h in enumerate(evals[0])}
    assert len(evals) == 2
    row = evals[1]
    assert (row[col["评估类型"]], row[col["总分"]], row[col["等级"]], row[col["是否通过"]], row[col["处理方式"]]) == (
        "中期评估", 86, "A", "通过", "通过")
    assert row[col["分项得分"]] == "目标完成情况 26;服务成效与满意度 21.5"

    timeline = book["项目动态"]
    assert timeline[0] == ("发生日期", "事件", "详情", "经办人")
    expected = projects.timeline(pid)
    assert len(timeline) - 1 == len(expected)
    col = {h: i for i, h in enumerate(timeline[0])}
    assert [r[col["事件"]] for r in timeline[1:]] == list(expected["event"])
    assert timeline[-1][col["事件"]] == "中期评估:通过"


def test_every_sheet_names_its_columns_as_the_schemas_and_the_queries_declare_them(case, hub):
    """A column reads the same in the dossier as on the screens and in the forms: the sheets' headers are the
    labels declared once (the schema's for a form field, the one beside the query for a computed column)."""
    from schemas.base import field_specs
    from schemas.monitoring import Activity, Expense

    book = read(dossier.workbook(case["pid"]))
    assert book["服务台账"][0] == tuple(ledger.ACTIVITY_COLUMNS.without("id").values())
    assert set(book["服务台账"][0]) >= {m["label"] for n, m in field_specs(Activity).items() if n != "project_id"}
    assert book["经费支出"][0] == tuple(money.EXPENSE_COLUMNS.without("id").values())
    assert set(book["经费支出"][0]) >= {m["label"] for m in field_specs(Expense).values()}
    assert book["拨付记录"][0] == tuple(money.TRANCHE_COLUMNS.without("id", "blocked_reason").values())
    assert book["中期末期评估"][0] == tuple(evaluations.EVALUATION_COLUMNS.without("id").values())
    assert book["项目动态"][0] == tuple(projects.TIMELINE_COLUMNS.values())
    assert book["评审得分"][0] == ("评审专家", "序号", "评分项", "满分", "得分", "评语", "加权总分", "推荐意见", "提交时间")
    overview = [k for k, _ in book["项目概况"][1:]]
    assert overview[:6] == [projects.COLUMNS[n] for n in
                            ("agreement_no", "title", "org", "round", "category", "state_label")]
    assert overview[-3:] == ["状态说明", "追回金额(元)", "结项日期"]


def test_amounts_read_with_separators_and_people_by_name(case, hub):
    """Money cells stay numbers (they add up) but read 20,000 / 1,250.50; nobody appears as an account name."""
    wb = load_workbook(io.BytesIO(dossier.workbook(case["pid"])))
    spent = wb["经费支出"]
    head = [c.value for c in spent[1]]
    amounts = [row[head.index("金额(元)")] for row in spent.iter_rows(min_row=2)]
    assert [(c.value, c.number_format) for c in amounts] == [(3000, "#,##0"), (1250.5, "#,##0.00")]
    overview = {r[0].value: r[1] for r in wb["项目概况"].iter_rows(min_row=2)}
    assert (overview["资助金额(元)"].value, overview["资助金额(元)"].number_format) == (40000, "#,##0")
    everything = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not {"None", "nan", "NaT"} & set(everything)
    assert not [v for v in everything if v in ("expert01", "expert02")]


def test_the_zip_holds_the_workbook_and_every_attachment_byte_for_byte(case, hub):
    pid = case["pid"]
    agreement_no = projects.get(pid)["agreement_no"]
    with zipfile.ZipFile(io.BytesIO(dossier.zip_bytes(pid))) as zf:
        names = zf.namelist()
        assert names[0] == f"档案_{agreement_no}.xlsx"
        assert list(read(zf.read(names[0]))) == list(dossier.SHEETS)
        attached = [n for n in names if n.startswith("附件/")]
        assert len(attached) == len(names) - 1 == 4
        assert all(".." not in n and "\\" not in n for n in names)
        by_doc = {int(n.rsplit("/", 1)[1].split("_")[-2] if n.startswith("附件/服务台账/") else
                      n.rsplit("/", 1)[1].split("_")[0]): n for n in attached}
        for doc_id, data in {**case["app_docs"], **case["photo_docs"]}.items():
            assert zf.read(by_doc[doc_id]) == data
            assert zf.read(by_doc[doc_id]) == documents.read(doc_id)[1]
    app_pdf, app_png = case["app_docs"]
    assert by_doc[app_pdf] == f"附件/申报材料/{app_pdf}_申报书.pdf"
    assert by_doc[app_png] == f"附件/申报材料/{app_png}_预算表.png"
    photo = next(iter(case["photo_docs"]))
    assert by_doc[photo] == f"附件/服务台账/2026-06-10_{photo}_现场1.jpg"


def test_another_projects_attachments_stay_out(case, hub):
    from tests.monitoring_fixtures import funded_app

    other_app = funded_app(2, round_id=hub.scalar("SELECT min(id) FROM rounds"))
    documents.attach("applications", other_app, "别人的申报书.pdf", PDF + b"%other", STAFF)
    assert len(dossier.attachments(case["pid"])) == 4


def test_an_empty_project_has_headers_only_and_an_unknown_one_is_not_found(hub):
    from tests.monitoring_fixtures import signed_project

    pid = signed_project(1, milestones=[])
    book = read(dossier.workbook(pid))
    for name in ("评审得分", "经费支出", "服务台账", "中期末期评估"):
        assert len(book[name]) == 1, name
    assert len(book["拨付记录"]) == 4
    with zipfile.ZipFile(io.BytesIO(dossier.zip_bytes(pid))) as zf:
        assert len(zf.namelist()) == 1
    with pytest.raises(NotFound):
        dossier.workbook(9999)
