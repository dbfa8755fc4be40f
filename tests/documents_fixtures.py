"""Realistic documents in the layouts admins add, and builders for .docx and .pdf versions."""

from __future__ import annotations

import io

CITY_PLAN = """武汉市总工会关于印发《武汉市贯彻落实〈中华全国总工会关于加强新时代工会女职工工作的意见〉工作方案》的通知

武工发〔2024〕3号

各区总工会，各产业工会：
现将《武汉市贯彻落实〈中华全国总工会关于加强新时代工会女职工工作的意见〉工作方案》印发给你们，请结合实际认真贯彻落实。

武汉市贯彻落实《中华全国总工会关于加强新时代工会女职工工作的意见》工作方案

为贯彻落实《中华全国总工会关于加强新时代工会女职工工作的意见》（总工发〔2022〕5号），结合我市实际，制定本方案。

一、工作目标
到2025年，全市女职工组织覆盖面进一步扩大，女职工特殊权益保护更加有力。

二、重点任务
（一）加强女职工思想政治引领。深入开展“巾帼心向党”主题宣传教育活动，引导女职工听党话、跟党走。【牵头单位：市总工会宣传部；配合单位：各区总工会】
（二）维护女职工合法权益和特殊利益。
1.推动女职工权益保护专项集体合同全覆盖。在非公有制企业推进女职工权益保护专项集体合同签订，重点保障孕期、产期、哺乳期女职工权益。（责任部门：市总工会权益保障部、女职工部）
2.加强新就业形态女职工权益维护。关注外卖配送、网约车、快递等行业女性劳动者，推动企业建立健全女职工休息休假制度。（责任部门：市总工会基层工作部）
（三）提升女职工生活品质。建设标准化爱心母婴室200个，开展女职工“两癌”筛查，深化婚恋交友服务。[责任单位：市总工会女职工部、经济技术劳动保护部]

三、保障措施
各区总工会要加强组织领导，把女职工工作纳入工会工作总体布局。

武汉市总工会
2024年3月8日
"""

REGULATION = """某省女职工劳动保护办法

某政令〔2023〕12号

第一章 总则
第一条 为了减少和解决女职工在劳动中因生理特点造成的特殊困难，保护女职工健康，制定本办法。
第二条 本省行政区域内的国家机关、企业、事业单位、社会团体，适用本办法。
第二章 孕期和哺乳期保护
第三条 女职工在孕期不能适应原劳动的，用人单位应当根据医疗机构的证明，予以减轻劳动量或者安排其他能够适应的劳动。
第四条 对哺乳未满1周岁婴儿的女职工，用人单位应当在每天的劳动时间内为哺乳期女职工安排1小时哺乳时间。
第五条 女职工比较多的用人单位应当根据女职工的需要，建立女职工卫生室、孕妇休息室、哺乳室等设施。
第三章 附则
第六条 本办法自2023年10月1日起施行。
"""

# The user trial's styles: numbered items with no 。 in the title and the 责任单位 on the same line.
TASK_LIST = """测试市总工会方案
测工发〔2024〕5号
一、任务
1. 关爱女农民工 开展春风行动（责任单位：权益保障部）
2. 关爱女教师。开展健康体检。（责任单位：教科文卫工会）
3、关爱环卫女工（责任单位：基层工作部）
（4）建立女职工法律援助站。（责任单位：法律工作部）
二、保障措施
各级工会要加强领导。
"""

PROSE = """关于天气的一些随想

今天天气很好，阳光明媚。我们去公园散步，看到很多人在放风筝。傍晚的时候起风了，大家陆续回家。
"""


def as_docx(text: str) -> bytes:
    """A .docx whose paragraphs are the lines of ``text``."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_docx_with_table(before: str, rows: list[list[str]], after: str = "") -> bytes:
    """A .docx: the lines of ``before`` as paragraphs, a table of ``rows``, then ``after``."""
    import docx

    document = docx.Document()
    for line in before.splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for cells, row in zip(rows, table.rows, strict=True):
        for text, cell in zip(cells, row.cells, strict=False):
            cell.text = text
    for line in after.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_pdf(text: str, encrypt: str | None = None, text_layer: bool = True) -> bytes:
    """A PDF with a real text layer (a CJK TrueType font from the mplfonts package)."""
    from importlib.resources import files

    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text_layer:
        pdf.add_font("SimHei", fname=str(files("mplfonts") / "fonts" / "SimHei.ttf"))
        pdf.set_font("SimHei", size=11)
        for line in text.splitlines():
            pdf.multi_cell(0, 7, line or " ", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.rect(20, 20, 100, 100)  # a "scan": drawing, no text
    data = bytes(pdf.output())
    if encrypt:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(encrypt)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def zip_bomb(path, inflated: int, filler: bytes = b"\0") -> None:
    """A .docx-looking zip whose document.xml inflates to ``inflated`` bytes of ``filler``
    (written in chunks: building it costs little memory)."""
    import zipfile

    chunk = filler * (1024 * 1024 // len(filler))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
