"""Writes the first version of each Word template in this folder (python-docx). Run once; the committed .docx
files are the source from then on: staff edit them in Word (README.md here), and running this again would
overwrite their edits (it refuses unless given --force).

    python3 templates/docx/build_templates.py --force

Tags are docxtpl's Jinja: ``{{ value }}`` prints a value (escaped: user text prints literally), a table row
holding ``{%tr for r in rows %}`` … ``{%tr endfor %}`` repeats the row between them, a paragraph holding
``{%p for … %}`` … ``{%p endfor %}`` repeats the paragraphs between them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
CENTRE = "{{ centre }}"  # the hub that issues the document (core.orgs.hubs.name_of), from the context
BODY_FONT, TITLE_FONT = "宋体", "黑体"


def _font(style, name: str, size: float | None = None, bold: bool | None = None) -> None:
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold


def new(landscape: bool = False) -> Document:
    doc = Document()
    _font(doc.styles["Normal"], BODY_FONT, 11)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 13)):
        _font(doc.styles[name], TITLE_FONT, size, True)
        doc.styles[name].font.color.rgb = None
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Mm(20))
    sec.top_margin = sec.bottom_margin = Mm(20)
    return doc


def title(doc, text: str, sub: str | None = None) -> None:
    p = doc.add_paragraph(text, style="Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if sub:
        s = doc.add_paragraph(sub)
        s.alignment = WD_ALIGN_PARAGRAPH.CENTER


def para(doc, text: str, *, bold: bool = False, align=None, size: float | None = None):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    return p


def loop_table(doc, head: str | None, row: str, rows: str, fields: list[str], widths: list[float] | None = None):
    """A table: a header row (``{{ head.f }}`` per field; none when ``head`` is None), then one row repeated for
    every item of ``rows`` (``{{ row.f }}``)."""
    n = len(fields)
    table = doc.add_table(rows=(1 if head else 0) + 3, cols=n)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    i = 0
    if head:
        for j, f in enumerate(fields):
            cell = table.cell(0, j)
            cell.text = ""
            cell.paragraphs[0].add_run(f"{{{{ {head}.{f} }}}}").bold = True
        i = 1
    table.cell(i, 0).text = f"{{%tr for {row} in {rows} %}}"
    for j, f in enumerate(fields):
        table.cell(i + 1, j).text = f"{{{{ {row}.{f} }}}}"
    table.cell(i + 2, 0).text = "{%tr endfor %}"
    if widths:
        table.autofit = False
        for j, w in enumerate(widths):
            table.columns[j].width = Mm(w)
        for r in table.rows:
            for j, w in enumerate(widths):
                r.cells[j].width = Mm(w)
    doc.add_paragraph()
    return table


def pair_table(doc, rows: str, widths=(50, 120)) -> None:
    loop_table(doc, None, "r", rows, ["label", "value"], list(widths))


def signature(doc, left: str, right: str, date: str) -> None:
    t = doc.add_table(rows=3, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = left, right
    t.cell(1, 0).text = t.cell(1, 1).text = "负责人(签字):"
    t.cell(2, 0).text = t.cell(2, 1).text = f"日期:{date}"


# ---- the templates ----------------------------------------------------------------------------------------
def application() -> Document:
    doc = new()
    title(doc, "{{ round }}", "公益创投项目申报书")
    para(doc, "项目名称:{{ title }}", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "申报组织:{{ org }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "提交日期:{{ submitted }}(当前状态:{{ state }})", align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_heading("一、基本信息", level=1)
    pair_table(doc, "content")
    doc.add_heading("二、项目内容", level=1)
    para(doc, "{%p for s in sections %}")
    doc.add_heading("{{ s.label }}", level=2)
    para(doc, "{{ s.text }}")
    para(doc, "{%p endfor %}")
    doc.add_heading("三、项目预算(元)", level=1)
    loop_table(doc, "budget_head", "b", "budget", ["line", "amount"], [85, 85])
    doc.add_heading("四、实施计划与里程碑", level=1)
    loop_table(doc, "milestone_head", "m", "milestones", ["due_date", "deliverable"], [45, 125])
    para(doc, "申报组织承诺:以上内容真实、准确,如获资助将按协议规范使用资金。")
    signature(doc, "申报组织(盖章):{{ org }}", "", "{{ submitted }}")
    para(doc, "本申报书由枢纽台于 {{ today }} 生成。", size=9)
    return doc


def agreement() -> Document:
    doc = new()
    title(doc, "公益创投项目资助协议", "协议编号:{{ agreement_no }}")
    para(doc, f"甲方(资助方):{CENTRE}")
    para(doc, "乙方(项目承接方):{{ org }}")
    para(doc, "根据「{{ round }}」评审及公示结果,甲乙双方就下列项目的资助与实施达成如下协议。")
    doc.add_heading("第一条 项目", level=1)
    para(doc, "项目名称:{{ title }};项目类别:{{ category }};所属品牌:{{ brand }}。")
    para(doc, "执行期:{{ start }} 至 {{ end }};服务社区:{{ communities }}。")
    para(doc, "乙方在执行期内开展服务活动不少于 {{ planned_activities }} 场,服务不少于 {{ planned_person_times }} 人次,"
              "并逐场登记服务台账(附活动照片)。")
    doc.add_heading("第二条 资助金额与预算", level=1)
    para(doc, "甲方资助乙方人民币 {{ granted }} 元,按下列预算科目使用,专款专用:")
    loop_table(doc, "budget_head", "b", "budget", ["line", "amount"], [85, 85])
    para(doc, "{%p if funds %}")
    para(doc, "乙方配套资金:")
    pair_table(doc, "funds", (85, 85))
    para(doc, "{%p endif %}")
    doc.add_heading("第三条 资金拨付", level=1)
    para(doc, "资金分期拨付;中期、末期评估未通过的,甲方有权停止拨付后续资金,必要时终止协议并追回资金。")
    loop_table(doc, "tranche_head", "t", "tranches",
               ["seq", "share", "amount", "gate_label", "planned_date", "status_label"], [18, 18, 28, 40, 34, 32])
    doc.add_heading("第四条 里程碑与报告", level=1)
    loop_table(doc, "milestone_head", "m", "milestones", ["due_date", "deliverable", "done_on"], [40, 90, 40])
    para(doc, "乙方于 {{ midterm_due }} 前提交中期报告,于 {{ final_due }} 前提交末期报告,接受甲方评估。")
    doc.add_heading("第五条 其他约定", level=1)
    para(doc, "{{ notes }}")
    para(doc, "本协议一式两份,甲乙双方各执一份,自双方签字盖章之日起生效。")
    signature(doc, f"甲方(盖章):{CENTRE}", "乙方(盖章):{{ org }}", "{{ agreement_date }}")
    return doc


def notice() -> Document:
    doc = new()
    title(doc, "{{ round }}", "拟资助项目公示")
    para(doc, "经资格审查、专家评审和中心研究,下列项目拟获得公益创投资助,现予以公示。")
    para(doc, "公示期:{{ start }} 至 {{ end }}。")
    loop_table(doc, "head", "r", "rows", ["seq", "title", "org", "category", "communities", "granted_amount"],
               [12, 44, 38, 22, 30, 24])
    para(doc, "共 {{ count }} 个项目,合计拟资助 {{ total }} 元。", bold=True)
    para(doc, f"如有异议,请于公示期内向{CENTRE}实名反映。")
    para(doc, CENTRE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{ today }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


def score_sheet() -> Document:
    doc = new(landscape=True)
    title(doc, "{{ round }}", "专家评分汇总表")
    para(doc, "评分细则:{{ rubric }}")
    para(doc, "计分方法:{{ method }}")
    loop_table(doc, "head", "r", "rows",
               ["category_rank", "title", "org", "category", "n", "mean", "trimmed_mean", "final", "recommended"],
               [18, 60, 48, 26, 18, 22, 28, 22, 18])
    para(doc, "参加评分的专家:{{ expert_names }}")
    para(doc, "{{ lock }}", bold=True)
    doc.add_heading("专家签字", level=2)
    t = doc.add_table(rows=3, cols=3)
    t.style = "Table Grid"
    t.cell(0, 0).text, t.cell(0, 1).text, t.cell(0, 2).text = "专家姓名", "签字", "日期"
    t.cell(1, 0).text = "{%tr for e in experts %}"
    t.cell(2, 0).text = "{{ e.name }}"
    row = t.add_row()
    row.cells[0].text = "{%tr endfor %}"
    para(doc, "")
    para(doc, "汇总人:____________    复核人:____________    生成日期:{{ today }}")
    return doc


def dossier() -> Document:
    doc = new()
    for _ in range(5):
        doc.add_paragraph()
    title(doc, "一项目一档案")
    para(doc, "{{ title }}", bold=True, size=18, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    for line in ("协议编号:{{ agreement_no }}", "承接组织:{{ org }}", "创投批次:{{ round }}", "项目类别:{{ category }}",
                 "所属品牌:{{ brand }}", "执行期:{{ start }} 至 {{ end }}", "服务社区:{{ communities }}",
                 "资助金额:{{ granted }} 元", "建档日期:{{ today }}"):
        para(doc, line, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph()
    para(doc, CENTRE, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_page_break()
    doc.add_heading("档案摘要:{{ title }}", level=1)
    pair_table(doc, "summary")
    doc.add_heading("资金拨付", level=2)
    loop_table(doc, "tranche_head", "t", "tranches",
               ["seq", "amount", "gate_label", "status_label", "released_on", "released_amount"], [18, 28, 38, 26, 32, 28])
    doc.add_heading("里程碑", level=2)
    loop_table(doc, "milestone_head", "m", "milestones", ["due_date", "deliverable", "done_on"], [40, 90, 40])
    doc.add_heading("中期、末期评估", level=2)
    loop_table(doc, "evaluation_head", "e", "evaluations",
               ["kind_label", "eval_date", "total_score", "grade", "passed", "outcome_label"], [24, 34, 24, 20, 22, 46])
    doc.add_heading("项目动态", level=2)
    loop_table(doc, "timeline_head", "t", "timeline", ["happened_on", "event", "detail", "by_user"], [32, 36, 78, 24])
    para(doc, "完整档案(申报书、评审得分、拨付、支出、服务台账与附件)见「一项目一档案」压缩包。", size=9)
    return doc


def annual_report() -> Document:
    doc = new()
    for _ in range(4):
        doc.add_paragraph()
    title(doc, "{{ year }}年度公益创投与社会组织培育成效报告")
    para(doc, CENTRE, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{{ today }}", size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_page_break()
    doc.add_heading("一、年度数据", level=1)
    para(doc, "以下数据由枢纽台从业务台账直接统计;累计数截至 {{ as_of }}。")
    loop_table(doc, "cols", "f", "figures", ["figure", "year", "total"], [50, 60, 60])
    doc.add_heading("二、数据图表", level=1)
    para(doc, "{%p for c in charts %}")
    doc.add_heading("{{ c.title }}", level=2)
    para(doc, "{{ c.image }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{%p endfor %}")
    doc.add_heading("三、品牌故事", level=1)
    para(doc, "{%p for b in brands %}")
    doc.add_heading("{{ b.name }}({{ b.tier }})", level=2)
    para(doc, "{{ b.story }}")
    para(doc, "{{ b.figures }}")
    para(doc, "{%p endfor %}")
    doc.add_heading("四、项目案例", level=1)
    para(doc, "{{ photo_note }}", size=9)
    para(doc, "{%p for k in cases %}")
    doc.add_heading("{{ k.title }}", level=2)
    para(doc, "承接组织:{{ k.org }};项目类别:{{ k.category }};所属品牌:{{ k.brand }};服务社区:{{ k.communities }}。")
    para(doc, "资助金额 {{ k.granted }} 元,执行期 {{ k.period }};本年度开展活动 {{ k.activities }} 场,"
              "服务 {{ k.person_times }} 人次。")
    para(doc, "{%p for h in k.highlights %}")
    para(doc, "· {{ h.date }} 在{{ h.community }}开展「{{ h.title }}」,服务 {{ h.person_times }} 人次。")
    para(doc, "{%p endfor %}")
    para(doc, "{%p for ph in k.photos %}")
    para(doc, "{{ ph }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    doc.add_heading("五、{{ labels.highlights }}", level=1)
    para(doc, "{{ highlights }}")
    doc.add_heading("六、{{ labels.reflection }}", level=1)
    para(doc, "{{ reflection }}")
    doc.add_heading("七、{{ labels.plans }}", level=1)
    para(doc, "{{ plans }}")
    return doc


TEMPLATES = {"application": application, "agreement": agreement, "notice": notice, "score_sheet": score_sheet,
             "dossier": dossier, "annual_report": annual_report}


def main(argv: list[str]) -> int:
    force = "--force" in argv
    for name, build in TEMPLATES.items():
        path = HERE / f"{name}.docx"
        if path.exists() and not force:
            print(f"skip {path.name} (exists; --force overwrites staff edits)")
            continue
        build().save(path)
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
