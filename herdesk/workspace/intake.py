"""Phone/chat intake helpers (INT-3, S1 §三(一)2): greeting, required-field checklist, read-back.

Pure functions: the page renders them server-side and herdesk.js mirrors them live while the
agent types (the same templates are handed to the script through data attributes).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Which problem types need a product model, which an order number (INT-3 "where relevant").
NEEDS_PRODUCT = frozenset({"technical_support", "after_sales", "product_inquiry"})
NEEDS_ORDER = frozenset({"order_inquiry"})
# A complaint names what it is about: a product or an order.
NEEDS_PRODUCT_OR_ORDER = frozenset({"complaint"})

CHECKLIST = (
    ("name", gettext_lazy("Customer name")),
    ("contact", gettext_lazy("Contact (phone)")),
    ("region", gettext_lazy("Region")),
    ("product", gettext_lazy("Product model / order number")),
    ("description", gettext_lazy("Problem description")),
)


def company_name() -> str:
    return str(getattr(settings, "HERDESK_COMPANY_NAME", "") or _("Dairy Company"))


def greeting() -> str:
    """The opening line of every call (S1 §三(一)2: 服务人员需主动问候)."""
    return _("Hello, this is the %(company)s customer service centre. Happy to help you.") % {
        "company": company_name()
    }


def intake_missing(
    *,
    name: str,
    contact: str,
    region: str,
    problem_type: str,
    product: str,
    order_number: str,
    description: str,
) -> list[str]:
    """Checklist keys still missing for an intake record (INT-3); [] when complete."""
    missing = []
    if not (name or "").strip():
        missing.append("name")
    if not (contact or "").strip():
        missing.append("contact")
    if not (region or "").strip():
        missing.append("region")
    has_product, has_order = bool(product), bool((order_number or "").strip())
    if (
        (problem_type in NEEDS_PRODUCT and not has_product)
        or (problem_type in NEEDS_ORDER and not has_order)
        or (problem_type in NEEDS_PRODUCT_OR_ORDER and not (has_product or has_order))
    ):
        missing.append("product")
    if not (description or "").strip():
        missing.append("description")
    return missing


def readback_templates() -> dict[str, str]:
    """The read-back sentence with and without an object (product or order)."""
    return {
        "with": _(
            "OK, so I understand your %(type)s question is about %(about)s: %(subject)s. Is that right?"
        ),
        "without": _("OK, so I understand your %(type)s question is: %(subject)s. Is that right?"),
    }


def readback_summary(
    *, type_label: str, subject: str, product_label: str = "", order_number: str = ""
) -> str:
    """好的，我理解您是关于……的……问题，对吗？ — the sentence the agent reads back (INT-3)."""
    about = " / ".join(x for x in (product_label.strip(), (order_number or "").strip()) if x)
    t = readback_templates()
    subject = (subject or "").strip() or "…"
    if about:
        text = t["with"] % {"type": type_label, "about": about, "subject": subject}
    else:
        text = t["without"] % {"type": type_label, "subject": subject}
    return _LATIN_BEFORE_HAN.sub(r"\1 \2", text)


# Chinese typesetting: a space between a model number or code and the Chinese text after it
# ("挤奶机 MK-300 的技术支持问题", not "MK-300的").
_LATIN_BEFORE_HAN = re.compile(r"([A-Za-z0-9])([\u4e00-\u9fff])")
