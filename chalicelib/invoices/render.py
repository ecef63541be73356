"""The invoice PDF, drawn with fpdf2 in the vendored DejaVu Sans (fonts/, with its LICENSE).

fpdf2's core fonts are latin-1 and cannot print ş ğ ı İ; an embedded TrueType font can, and
fpdf2 subsets it (only the glyphs used) and writes a ToUnicode map, so the text can be
searched and copied out of the PDF again (tests/e2e/test_invoices.py reads it back).

fpdf2 costs ~0.5 s to import (it pulls fontTools), so it is imported inside `render_pdf` only:
the invoices API function pays for it only on the rare download that finds a PDF missing,
never on a cold start.  The output is deterministic (creation date = the invoice's issue time,
file id = hash of the content), so a re-render stores the same bytes.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from chalicelib.platform.text import format_try

from .document import UNKNOWN_NATIONAL_ID, Printable
from .formatting import date_tr, datetime_tr, rate_tr

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
CREATOR = "Huğlu Commerce"
# A4 portrait, 12 mm margins: 186 mm of usable width.
MARGIN = 12.0
# Sıra, Ürün / Hizmet, Miktar, Birim Fiyat, İndirim, KDV %, KDV Tutarı, Tutar
LINE_COLUMNS = (8, 62, 14, 25, 21, 13, 20, 23)
LINE_HEADINGS = ("Sıra", "Ürün / Hizmet", "Miktar", "Birim Fiyat (KDV dahil)", "İndirim", "KDV Oranı",
                 "KDV Tutarı", "Tutar (KDV dahil)")
TOTAL_ROW_HEIGHT = 5.0
LINE_ALIGN = ("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")


def render_pdf(doc: Printable) -> bytes:
    from fpdf import FPDF  # lazy: see the module docstring

    class InvoicePdf(FPDF):  # type: ignore[misc]
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, size=7)
            self.cell(0, 5, f"{doc.number} · Sayfa {self.page_no()}/{{nb}}", align="C")

    pdf = InvoicePdf(orientation="P", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    issued = doc.issued_at if doc.issued_at.tzinfo else doc.issued_at.replace(tzinfo=timezone.utc)
    pdf.set_creation_date(issued)
    # Titled "Fatura", not "e-Arşiv Fatura": it becomes a legal e-Arşiv invoice only through an
    # özel entegratör (GİB reporting, ETTN, signature), which is not integrated yet.
    pdf.set_title(f"Fatura {doc.number}")
    pdf.set_author(str(doc.seller.get("legal_name") or ""))
    pdf.set_creator(CREATOR)
    pdf.set_lang("tr")
    pdf.add_page()
    _header(pdf, doc)
    _buyer(pdf, doc)
    _lines(pdf, doc)
    _discounts(pdf, doc)
    _totals(pdf, doc)
    return bytes(pdf.output())


def _text(pdf: Any, text: str, *, size: float = 8, bold: bool = False, width: float = 0, height: float = 4.2,
          align: str = "L") -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def _header(pdf: Any, doc: Printable) -> None:
    seller = doc.seller
    top = pdf.get_y()
    pdf.set_x(MARGIN)
    _text(pdf, str(seller.get("legal_name") or ""), size=11, bold=True, width=104, height=5.5)
    for line in _seller_lines(seller):
        _text(pdf, line, width=104)
    left_bottom = pdf.get_y()

    pdf.set_xy(122, top)
    pdf.set_font(FAMILY, "B", 13)
    pdf.cell(76, 7, "Fatura", align="R", new_x="LEFT", new_y="NEXT")
    facts = (("Fatura No", doc.number), ("Fatura Tarihi", datetime_tr(doc.issued_at)),
             ("Fatura Tipi", "SATIŞ"), ("Sipariş No", doc.order_number),
             ("Sipariş Tarihi", date_tr(doc.order_date)), ("Ödeme Şekli", doc.payment_method))
    for label, value in facts:
        pdf.set_x(122)
        pdf.set_font(FAMILY, "B", 8)
        pdf.cell(28, 4.6, label, border="B")
        pdf.set_font(FAMILY, "", 8)
        pdf.cell(48, 4.6, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 5)


def _seller_lines(seller: Any) -> list[str]:
    lines = [str(seller.get("address") or "")]
    tax = "  ".join(p for p in (f"Vergi Dairesi: {seller['tax_office']}" if seller.get("tax_office") else "",
                                f"VKN: {seller['tax_number']}" if seller.get("tax_number") else "") if p)
    contact = "  ".join(p for p in (f"Tel: {seller['phone']}" if seller.get("phone") else "",
                                    f"E-posta: {seller['email']}" if seller.get("email") else "") if p)
    registry = "  ".join(p for p in (f"Mersis No: {seller['mersis_no']}" if seller.get("mersis_no") else "",
                                     f"Ticaret Sicil No: {seller['trade_registry_no']}"
                                     if seller.get("trade_registry_no") else "") if p)
    return [line for line in (*lines, tax, contact, registry, str(seller.get("website") or "")) if line]


def _buyer(pdf: Any, doc: Printable) -> None:
    buyer = doc.buyer
    _text(pdf, "SAYIN", size=8, bold=True)
    _text(pdf, str(buyer.get("name") or "-"), size=10, bold=True, height=5)
    if buyer.get("kind") == "corporate" and buyer.get("contact_name"):
        _text(pdf, f"İlgili: {buyer['contact_name']}")
    _text(pdf, str(buyer.get("address") or "-"))
    if buyer.get("kind") == "corporate":
        _text(pdf, f"Vergi Dairesi: {buyer.get('tax_office') or '-'}  VKN: {buyer.get('tax_number') or '-'}")
    else:
        _text(pdf, f"TCKN: {buyer.get('national_id_masked') or UNKNOWN_NATIONAL_ID}")
    if buyer.get("email"):
        _text(pdf, f"E-posta: {buyer['email']}")
    pdf.ln(4)


def _lines(pdf: Any, doc: Printable) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(FAMILY, "", 7.5)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(col_widths=LINE_COLUMNS, width=sum(LINE_COLUMNS), text_align=LINE_ALIGN, line_height=4,
                   headings_style=heading, padding=1, v_align="MIDDLE") as table:
        _row(table, LINE_HEADINGS)
        for number, line in enumerate(doc.lines, start=1):
            name = f"{line.name}\n{line.detail}" if line.detail else line.name
            _row(table, (str(number), name, str(line.quantity), _money(line.unit_price, doc),
                         _money(-line.discount, doc) if line.discount else "-", rate_tr(line.vat_rate),
                         _money(line.vat_amount, doc), _money(line.line_total, doc)))
    pdf.ln(3)


def _row(table: Any, cells: Sequence[str]) -> None:
    row = table.row()
    for cell in cells:
        row.cell(cell)


def _discounts(pdf: Any, doc: Printable) -> None:
    if not doc.discounts:
        return
    _text(pdf, "Uygulanan indirimler (satır tutarlarına yansıtılmıştır):", bold=True)
    for label, amount in doc.discounts:
        _text(pdf, f"{label}: {_money(-amount, doc)}")
    pdf.ln(2)


def _totals(pdf: Any, doc: Printable) -> None:
    totals = doc.totals
    rows: list[tuple[str, str, bool]] = [("Mal / Hizmet Toplam Tutarı (KDV dahil)", _money(totals["subtotal"], doc), False)]
    if totals["discount_total"]:
        rows.append(("Toplam İndirim", _money(-totals["discount_total"], doc), False))
    rows.append(("Kargo (KDV dahil)", _money(totals["shipping_total"], doc) if totals["shipping_total"] else "Ücretsiz",
                 False))
    for rate, part in doc.breakdown.items():
        rows.append((f"KDV Matrahı ({rate_tr(rate)})", _money(part["base"], doc), False))
        rows.append((f"Hesaplanan KDV ({rate_tr(rate)})", _money(part["vat"], doc), False))
    rows.append(("Toplam KDV", _money(totals["vat_total"], doc), False))
    rows.append(("Vergiler Dahil Toplam Tutar", _money(totals["grand_total"], doc), False))
    rows.append(("Ödenecek Tutar", _money(totals["grand_total"], doc), True))
    if pdf.get_y() + TOTAL_ROW_HEIGHT * len(rows) > pdf.h - pdf.b_margin:
        pdf.add_page()  # the totals stay together, never split over two pages
    for label, value, strong in rows:
        pdf.set_x(104)
        pdf.set_font(FAMILY, "B" if strong else "", 9 if strong else 8)
        pdf.cell(60, TOTAL_ROW_HEIGHT, label, border="B", align="R")
        pdf.cell(34, TOTAL_ROW_HEIGHT, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")


def _money(amount: Decimal, doc: Printable) -> str:
    return format_try(amount, doc.currency)
