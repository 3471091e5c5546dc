"""Every write of complaints (CMP-1..5): the record of a complaint ticket, its workflow (one service,
`complaint_transition`, enforces `lifecycle.ACTIONS`), the root-cause analysis, CAPA (one service,
`capa_transition`, enforces `lifecycle.CAPA_ACTIONS`), the effectiveness checks and the sweep of
their deadlines.

Keyword-only arguments, `transaction.atomic`, the complaint row locked before a change; each change
is audited and written to the ticket's timeline (an internal system entry) in the same transaction.

A package, one module per state machine (capa, rca, sweep, workflow; `_common` holds what they
share); every public name is re-exported here, so callers import from `complaints.services`.
"""

from ._common import (
    CALENDAR,
    EFFECTIVENESS_DAYS,
    MAX_LOTS,
    MAX_WHYS,
    REGULATOR_DEFAULT_DAYS,
    TEXT_MAX,
    WARN_PERCENT,
)
from .capa import capa_check_run, capa_create, capa_transition, recurrences
from .rca import cause_save, causes_ensure, rca_record
from .sweep import complaints_sweep
from .workflow import (
    _ticket_saved,
    complaint_am_sign_off,
    complaint_customer_answer,
    complaint_ensure,
    complaint_regulator_replied,
    complaint_regulator_set,
    complaint_transition,
    complaints_ensure_missing,
    ticket_created_hook,
)

__all__ = [
    "CALENDAR",
    "EFFECTIVENESS_DAYS",
    "MAX_LOTS",
    "MAX_WHYS",
    "REGULATOR_DEFAULT_DAYS",
    "TEXT_MAX",
    "WARN_PERCENT",
    "_ticket_saved",
    "capa_check_run",
    "capa_create",
    "capa_transition",
    "cause_save",
    "causes_ensure",
    "complaint_am_sign_off",
    "complaint_customer_answer",
    "complaint_ensure",
    "complaint_regulator_replied",
    "complaint_regulator_set",
    "complaint_transition",
    "complaints_ensure_missing",
    "complaints_sweep",
    "rca_record",
    "recurrences",
    "ticket_created_hook",
]
