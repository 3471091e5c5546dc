"""The 8D-style complaint report as PDF (WeasyPrint, Noto Sans CJK for Chinese), like the analytics
report pack: D1 team, D2 problem, D3 containment, D4 root cause, D5 chosen actions, D6 implementation
and verification, D7 prevention and measured effectiveness, D8 closure."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Complaint
from .selectors import complaint_page


def context(complaint: Complaint) -> dict[str, Any]:
    page = complaint_page(complaint=complaint)
    return {
        "c": complaint,
        "page": page,
        "corrective": [k for k in page.capas if k.kind == "corrective"],
        "preventive": [k for k in page.capas if k.kind == "preventive"],
        "generated_at": timezone.localtime(timezone.now()),
    }


def render_html(*, complaint: Complaint, language: str = "zh-hans") -> str:
    with translation.override(language):
        return render_to_string("complaints/report_8d.html", context(complaint))


def render_8d(*, complaint: Complaint, language: str = "zh-hans") -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(complaint=complaint, language=language)).write_pdf()
    return pdf
