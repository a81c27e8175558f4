"""文书: the Word documents the hub prints, signs and sends (申报书, 资助协议, 公示, 专家评分汇总表, 一项目一档案
封面与摘要, 年度成效报告), rendered from ``.docx`` templates staff edit in Word (``templates/docx/``), and their PDF
converted on the server by LibreOffice. Nothing here imports streamlit."""
