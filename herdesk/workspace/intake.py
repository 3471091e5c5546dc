"""Phone/chat intake helpers (INT-3, S1 §三(一)2): greeting, required-field checklist, read-back.

Pure functions: the page renders them server-side and herdesk.js mirrors them live while the
agent types (the same templates are handed to the script through data attributes).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _

# The checklist rule lives in the domain (tickets.services.intake) so the API applies it too;
# re-exported here for the page and its script.
from herdesk.tickets.services.intake import CHECKLIST as CHECKLIST
from herdesk.tickets.services.intake import NEEDS_ORDER as NEEDS_ORDER
from herdesk.tickets.services.intake import NEEDS_PRODUCT as NEEDS_PRODUCT
from herdesk.tickets.services.intake import NEEDS_PRODUCT_OR_ORDER as NEEDS_PRODUCT_OR_ORDER
from herdesk.tickets.services.intake import intake_missing as intake_missing


def company_name() -> str:
    return str(getattr(settings, "HERDESK_COMPANY_NAME", "") or _("Dairy Company"))


def greeting() -> str:
    """The opening line of every call (S1 §三(一)2: 服务人员需主动问候)."""
    return _("Hello, this is the %(company)s customer service centre. Happy to help you.") % {
        "company": company_name()
    }


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
