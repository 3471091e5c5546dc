"""Forms of the staff workspace: they parse and check input; the services decide and write.

Labels and messages are English msgids translated to Chinese (the default language).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock
from herdesk.common.reflists import cached_list
from herdesk.customers.choices import Lifecycle, Tier
from herdesk.policies.choices import ClockKind
from herdesk.savedviews.choices import Queue
from herdesk.staff.models import Team, User
from herdesk.tickets.choices import (
    Channel,
    CloseReason,
    ComplaintSeverity,
    Complexity,
    InteractionKind,
    Priority,
    ProblemType,
    Status,
    VerificationMethod,
)
from herdesk.tickets.models import Category
from herdesk.tickets.services import intake as intake_rules

from . import intake
from .rendering import RENDERER, FastSelect
from .selectors import assignable_staff
from .templatetags.workspace_tags import local_name

MAX_CALL_AGE = intake_rules.MAX_CALL_AGE  # the rule lives in tickets.services.intake
BLANK = [("", "—")]


def clock_label(kind: str) -> str:
    try:
        return str(ClockKind(kind).label)
    except ValueError:
        return kind


def _choices(choices: Any) -> list[tuple[str, Any]]:
    return BLANK + list(choices)


class LocalNameChoiceField(forms.ModelChoiceField):
    """Teams, products and categories by their name in the user's language."""

    def label_from_instance(self, obj: Any) -> str:
        return local_name(obj)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        team = f" · {local_name(obj.team)}" if getattr(obj, "team_id", None) else ""
        return f"{obj.display_name or obj.username}{team}"


# Choice lists read as values, with the same labels as label_from_instance above: the queue page's
# selects list every team, product, category and (for supervisors, twice) every member of staff,
# ~250 at 1,000,000 tickets; building a model instance per option cost several ms of a page whose
# budget is 50 ms (issue 4). The fields stay ModelChoiceFields, so a submitted value is still
# checked against the queryset. Lazy (a callable): a "load more" request never renders them.
def _english() -> bool:
    return (get_language() or "").startswith("en")


def _local(english: str, name_en: str, plain: str) -> str:
    """local_name() without the instance: `english` when there is an English name and the language
    is English, else `plain` (str(obj))."""
    return english if name_en and _english() else plain


def team_choices() -> list[tuple[int, str]]:
    rows = Team.objects.order_by("id").values_list("pk", "name", "name_en")
    return [(pk, _local(name_en, name_en, name)) for pk, name, name_en in rows]


def product_choices() -> list[tuple[int, str]]:
    rows = Product.objects.filter(is_active=True).values_list("pk", "name", "name_en", "model_number")
    return [
        (pk, _local(f"{name_en} {model}".strip(), name_en, f"{name} {model}".strip()))
        for pk, name, name_en, model in rows
    ]


def category_choices() -> list[tuple[int, str]]:
    rows = list(
        Category.objects.order_by("problem_type", "code").values_list(
            "pk", "parent_id", "name", "name_en", "is_active"
        )
    )
    by_pk = {r[0]: r for r in rows}

    def plain(pk: int) -> str:  # Category.__str__: "parent / name"
        _pk, parent, name, _en, _active = by_pk[pk]
        return f"{plain(parent)} / {name}" if parent in by_pk else name

    return [(pk, _local(en, en, plain(pk))) for pk, _parent, _name, en, active in rows if active]


def staff_choices() -> list[tuple[int, str]]:
    rows = assignable_staff().values_list(
        "pk", "display_name", "username", "team_id", "team__name", "team__name_en"
    )
    return [
        (pk, f"{shown or username}" + (f" · {_local(en, en, team)}" if team_id else ""))
        for pk, shown, username, team_id, team, en in rows
    ]


# One page may show the same list twice (a supervisor's filter and bulk-reassign forms both list
# the teams and the staff): forms given the same `shared` dict read each list once.
SharedChoices = dict[str, list[tuple[Any, Any]]]


def _values_choices(field: forms.Field, fn: Any, shared: SharedChoices | None = None) -> None:
    """Give a ModelChoiceField the choices of `fn`, read once on first use (a select iterates its
    choices twice: for the `required` attribute and for the options)."""
    model_field = cast(forms.ModelChoiceField, field)
    empty = [("", model_field.empty_label)] if model_field.empty_label is not None else []
    read: SharedChoices = shared if shared is not None else {}

    def choices() -> list[tuple[Any, Any]]:
        if fn.__name__ not in read:
            # Kept between requests (common.reflists: a save or delete of the rows refreshes them).
            read[fn.__name__] = cached_list(f"workspace.{fn.__name__}", fn)
        return [*empty, *read[fn.__name__]]

    model_field.choices = choices


def _never_required(initial: Any) -> bool:
    return False


class QueueFilterForm(forms.Form):
    """GET filters of a queue; invalid values are reported and ignored (never a 500)."""

    default_renderer = RENDERER  # on every queue page: widgets written in Python (rendering.py)

    channel = forms.ChoiceField(
        label=_("Channel"), choices=_choices(Channel.choices), required=False, widget=FastSelect
    )
    problem_type = forms.ChoiceField(
        label=_("Problem type"), choices=_choices(ProblemType.choices), required=False, widget=FastSelect
    )
    category = LocalNameChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=FastSelect,
        empty_label="—",
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=_choices(Priority.choices), required=False, widget=FastSelect
    )
    complexity = forms.ChoiceField(
        label=_("Complexity"), choices=_choices(Complexity.choices), required=False, widget=FastSelect
    )
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    product = LocalNameChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        widget=FastSelect,
        empty_label="—",
    )
    tier = forms.ChoiceField(
        label=_("Customer tier"), choices=_choices(Tier.choices), required=False, widget=FastSelect
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=_choices(Status.choices), required=False, widget=FastSelect
    )
    team = LocalNameChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, widget=FastSelect, empty_label="—"
    )
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, widget=FastSelect, empty_label="—"
    )
    # Received between two local days (inclusive): the drill-down from a report's or dashboard's
    # figure to the tickets behind it (#18). With a received range the "all" queue lists closed and
    # cancelled tickets too, as the figure counts them; so does "mine" (an agent's own figures).
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    resolved_from = forms.DateField(
        label=_("Resolved from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    resolved_to = forms.DateField(
        label=_("Resolved until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # The drill-down from a clock's on-time rate and from satisfaction (#18): those figures count
    # clocks by the local day they started and follow-ups by the day they were recorded.
    clock = forms.ChoiceField(
        label=_("Clock"), choices=_choices(ClockKind.choices), required=False, widget=FastSelect
    )
    clock_from = forms.DateField(
        label=_("Clock started from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    clock_to = forms.DateField(
        label=_("Clock started until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    clock_missed = forms.BooleanField(label=_("Missed its target"), required=False)
    rated_from = forms.DateField(
        label=_("Follow-up recorded from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rated_to = forms.DateField(
        label=_("Follow-up recorded until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, supervisor: bool = False, shared: SharedChoices | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _values_choices(self.fields["category"], category_choices)
        _values_choices(self.fields["product"], product_choices)
        if supervisor:
            cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignable_staff()
            _values_choices(self.fields["team"], team_choices, shared)
            _values_choices(self.fields["assignee"], staff_choices, shared)
        else:
            # Team and assignee filters are for people who see across teams.
            del self.fields["team"]
            del self.fields["assignee"]
        if not any(self.data.get(k) for k in DRILL_ONLY):
            # Reached from a figure's link only: not one more row of filters on every queue.
            for k in DRILL_ONLY:
                del self.fields[k]
        for field in self.fields.values():
            # Every filter is optional, so no widget gets `required`; but Django asks each select
            # first (Select.use_required_attribute reads its first choice: the whole choice list
            # normalised again, ~2 ms of a queue page, issue 4). The answer is known: no.
            if not field.required:
                field.widget.use_required_attribute = _never_required  # type: ignore[method-assign]

    def active(self) -> dict[str, Any]:
        """The valid, non-empty filters."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "") and k not in self.errors}

    def as_params(self) -> dict[str, str]:
        return {k: str(getattr(v, "pk", v)) for k, v in self.active().items()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for what in ("received", "resolved", "clock", "rated"):
            first, last = data.get(f"{what}_from"), data.get(f"{what}_to")
            if first and last and last < first:
                self.add_error(f"{what}_to", _("The end is before the start / 结束日期早于开始日期"))
        return data


# The queue filters shown only when a drill-down link set one (QueueFilterForm.__init__).
DRILL_ONLY = ("clock", "clock_from", "clock_to", "clock_missed", "rated_from", "rated_to")


class SavedViewForm(forms.Form):
    default_renderer = RENDERER
    name = forms.CharField(label=_("Name of the view"), max_length=60)
    queue = forms.ChoiceField(choices=Queue.choices, widget=forms.HiddenInput)


class IntakeForm(forms.Form):
    """Phone/chat intake (INT-3): the record every contact needs, checked against the checklist."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        initial=Channel.PHONE,
        choices=[
            (Channel.PHONE, Channel.PHONE.label),
            (Channel.CHAT, Channel.CHAT.label),
            (Channel.WECHAT, Channel.WECHAT.label),
        ],
    )
    call_started_at = forms.DateTimeField(widget=forms.HiddenInput)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The hotline call this intake records (screen pop → "new intake", issue 12): linked on submit.
    call = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    phone = forms.CharField(label=_("Caller's phone"), max_length=40, required=False)
    new_name = forms.CharField(label=_("Name (new customer)"), max_length=120, required=False)
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    problem_type = forms.ChoiceField(label=_("Problem type"), choices=_choices(ProblemType.choices))
    product = LocalNameChoiceField(
        label=_("Product model"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        empty_label="—",
    )
    order_number = forms.CharField(label=_("Order number"), max_length=40, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Problem description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    complexity = forms.ChoiceField(
        label=_("Complexity"), choices=Complexity.choices, initial=Complexity.GENERAL
    )
    # CMP-1: a complaint's severity is assessed at intake when it is clear (3 or 5 working days).
    complaint_severity = forms.ChoiceField(
        label=_("Complaint severity"), choices=[*BLANK, *ComplaintSeverity.choices], required=False
    )
    confirmed = forms.BooleanField(label=_("The customer confirmed the read-back summary"), required=False)

    def __init__(self, *args: Any, customer: Any = None, call: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer  # resolved by the view through customers_visible_to
        self.call_record = call  # resolved by the view through phone.selectors.calls_visible_to

    def clean_call_started_at(self) -> Any:
        value = self.cleaned_data["call_started_at"]
        if problem := intake_rules.call_start_error(value):  # the domain's rule (INT-3)
            raise ValidationError(problem)
        return value

    def missing(self) -> list[str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        customer = self.customer
        call_number = bool(self.call_record and self.call_record.caller)
        return intake.intake_missing(
            name=customer.name if customer else data.get("new_name", ""),
            # The caller's number of a linked call is the contact (the agent need not see it).
            contact="x" if customer or call_number else data.get("phone", ""),
            region=data.get("region") or (customer.region if customer else ""),
            problem_type=data.get("problem_type", ""),
            product=str(data["product"].pk) if data.get("product") else "",
            order_number=data.get("order_number", ""),
            description=data.get("description", ""),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.data.get("customer_id") and self.customer is None:
            self.add_error(None, _("That customer was not found."))
        if self.data.get("call") and self.call_record is None:
            self.add_error(None, _("That call was not found among your calls."))
        field_of = {
            "name": "new_name",
            "contact": "phone",
            "region": "region",
            "product": "product",
            "description": "description",
        }
        for key in self.missing():
            name = field_of[key]
            if name not in self.errors:
                self.add_error(name, intake_rules.intake_missing_message(key))
        if not data.get("confirmed"):
            self.add_error(
                "confirmed", _("Read the summary back to the customer and tick when they confirm.")
            )
        return data


class TriageForm(forms.Form):
    """INT-5: what the problem is and who handles it, with the handling requirement (HND-2)."""

    problem_type = forms.ChoiceField(label=_("Problem type"), choices=ProblemType.choices)
    category = LocalNameChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False, empty_label="—"
    )
    complexity = forms.ChoiceField(label=_("Complexity"), choices=Complexity.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    # CMP-1 "assess impact and urgency": for complaints only (3 or 5 working days, CMP-2).
    complaint_severity = forms.ChoiceField(
        label=_("Complaint severity"), choices=[*BLANK, *ComplaintSeverity.choices], required=False
    )
    team = LocalNameChoiceField(label=_("Team"), queryset=Team.objects.all())
    assignee = StaffChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("(nobody yet: someone in the team takes it)"),
    )
    reason = forms.CharField(label=_("Reason for the routing"), max_length=1000, required=False)
    requirement = forms.CharField(
        label=_("Handling requirement"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_response_minutes = forms.IntegerField(
        label=_("Expected response (minutes)"), min_value=1, max_value=7 * 24 * 60, initial=15
    )

    def __init__(self, *args: Any, shared: SharedChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignable_staff()
        _values_choices(self.fields["team"], team_choices, shared)
        _values_choices(self.fields["assignee"], staff_choices, shared)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, assignee = data.get("team"), data.get("assignee")
        if team and assignee and assignee.team_id != team.pk:
            self.add_error(
                "assignee", _("%(who)s is not a member of %(team)s.") % {"who": assignee, "team": team}
            )
        category, ptype = data.get("category"), data.get("problem_type")
        if category and ptype and category.problem_type != ptype:
            self.add_error("category", _("This category belongs to another problem type."))
        return data


class TransferForm(forms.Form):
    """HND-2: a transfer records the reason, the handling requirement and the expected response."""

    team = LocalNameChoiceField(label=_("Team"), queryset=Team.objects.all())
    assignee = StaffChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("(nobody yet: someone in the team takes it)"),
    )
    reason = forms.CharField(label=_("Reason for the transfer"), max_length=1000)
    requirement = forms.CharField(
        label=_("Handling requirement"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_response_minutes = forms.IntegerField(
        label=_("Expected response (minutes)"), min_value=1, max_value=7 * 24 * 60, initial=15
    )

    def __init__(self, *args: Any, shared: SharedChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignable_staff()
        _values_choices(self.fields["team"], team_choices, shared)
        _values_choices(self.fields["assignee"], staff_choices, shared)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, assignee = data.get("team"), data.get("assignee")
        if team and assignee and assignee.team_id != team.pk:
            self.add_error(
                "assignee", _("%(who)s is not a member of %(team)s.") % {"who": assignee, "team": team}
            )
        return data


class AnswerCloseForm(forms.Form):
    """A common question answered from a saved reply and closed at once (S1 §三(一)3)."""

    body = forms.CharField(
        label=_("Answer given to the customer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


CHECKS = ("check_accuracy", "check_feasibility", "check_acceptance", "check_safety")


class OptionForm(forms.Form):
    """One of 1–3 solution options (HND-3, S1 §三(二)2)."""

    summary = forms.CharField(label=_("Summary"), max_length=200, required=False)
    pros = forms.CharField(
        label=_("Pros"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cons = forms.CharField(
        label=_("Cons"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    steps = forms.CharField(
        label=_("Steps"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    time_needed = forms.CharField(label=_("Time needed"), max_length=60, required=False)
    extra_cost = forms.CharField(label=_("Extra cost"), max_length=60, required=False)
    check_accuracy = forms.BooleanField(label=_("Accurate"), required=False)
    check_feasibility = forms.BooleanField(label=_("Feasible"), required=False)
    check_acceptance = forms.BooleanField(label=_("Acceptable to the customer"), required=False)
    check_safety = forms.BooleanField(label=_("Safe"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(data.get(k) for k in ("summary", "pros", "cons", "steps", "time_needed", "extra_cost"))
        if filled and not data.get("summary"):
            self.add_error("summary", _("This field is required."))
        if data.get("summary") and not all(data.get(c) for c in CHECKS):
            self.add_error(
                None, _("Tick all four checks (accuracy, feasibility, customer acceptance, safety) first.")
            )
        return data


class BaseOptionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.options():
            raise ValidationError(_("Offer between one and three solution options."))

    def options(self) -> list[dict[str, Any]]:
        return [
            f.cleaned_data
            for f in self.forms
            if getattr(f, "cleaned_data", None) and f.cleaned_data.get("summary")
        ]


OptionFormSet = forms.formset_factory(
    OptionForm, formset=BaseOptionFormSet, extra=3, max_num=3, absolute_max=3
)


class ChooseOptionForm(forms.Form):
    position = forms.TypedChoiceField(label=_("The customer chose"), coerce=int, choices=())
    via = forms.ChoiceField(
        label=_("How the customer told us"),
        # "By email" alone is the portal's sign-in button (邮箱登录): here it is how they told us.
        choices=[
            ("phone", _("On the phone")),
            ("email", pgettext_lazy("how the customer told us", "By email")),
            ("portal", _("In the portal")),
        ],
    )

    def __init__(self, *args: Any, options: list[Any] | tuple[()] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["position"]).choices = [
            (o.position, f"{o.position}. {o.summary}") for o in options
        ]


PROGRESS_KINDS = [
    (k.value, k.label)
    for k in (
        InteractionKind.PHONE_CALL,
        InteractionKind.SMS,
        InteractionKind.EMAIL,
        InteractionKind.WECHAT,
        InteractionKind.ONSITE_VISIT,
    )
]


class ProgressForm(forms.Form):
    """A progress update told to the customer (HND-6): an outbound, public timeline entry."""

    kind = forms.ChoiceField(label=_("How"), choices=PROGRESS_KINDS)
    body = forms.CharField(
        label=_("What we told the customer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RenegotiateForm(forms.Form):
    """HND-5: before a due time, agree a new one with the customer and record why."""

    clock = forms.TypedChoiceField(label=_("Clock"), coerce=int, choices=())
    new_due_at = forms.DateTimeField(
        label=_("New expected time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label=_("Reason (told to the customer)"), max_length=1000)

    def __init__(self, *args: Any, clocks: list[Clock] | tuple[()] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["clock"]).choices = [(c.pk, clock_label(c.kind)) for c in clocks]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class ResolveForm(forms.Form):
    verification_method = forms.ChoiceField(
        label=_("How the customer verifies"), choices=VerificationMethod.choices
    )
    summary = forms.CharField(
        label=_("Resolution summary (told to the customer)"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Closed because"), choices=CloseReason.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the handler confirms the repair standard is met."),
    )
    # CLS-1 (#12): "customer confirmed" by the handler needs the customer's confirmation on record:
    # the phone confirmation note (evidence) with this time, unless an on-site sign-off or the
    # customer's own confirmation is already there.
    confirmed_at = forms.DateTimeField(
        label=_("Customer confirmed at (phone)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "With “customer confirmed”: when the customer confirmed by phone; write what they said as "
            "the evidence. Not needed after an on-site sign-off."
        ),
    )


class FollowUpForm(forms.Form):
    """CLS-2: the satisfaction follow-up (满意度回访) within 3 working days of resolution."""

    method = forms.ChoiceField(
        label=_("How"),
        choices=[("phone", _("Phone")), ("email", _("Email")), ("sms", _("SMS")), ("link", _("Survey link"))],
    )
    fully_solved = forms.BooleanField(label=_("Fully solved"), required=False)
    # No default: a pre-filled 5 was recorded whenever the agent did not ask (issue 13).
    score = forms.TypedChoiceField(
        label=_("Satisfaction (1–5)"), coerce=int, choices=_choices((i, str(i)) for i in range(5, 0, -1))
    )
    comments = forms.CharField(
        label=_("Other needs or suggestions"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into ticket number"), max_length=32)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    is_public = forms.BooleanField(label=_("Visible to the customer"), required=False)


class BulkReassignForm(forms.Form):
    default_renderer = RENDERER  # on every supervisor's queue page
    team = LocalNameChoiceField(label=_("Team"), queryset=Team.objects.all(), widget=FastSelect)
    assignee = StaffChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        widget=FastSelect,
        empty_label=_("(nobody yet: someone in the team takes it)"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)

    def __init__(self, *args: Any, shared: SharedChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignable_staff()
        _values_choices(self.fields["team"], team_choices, shared)
        _values_choices(self.fields["assignee"], staff_choices, shared)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, assignee = data.get("team"), data.get("assignee")
        if team and assignee and assignee.team_id != team.pk:
            self.add_error(
                "assignee", _("%(who)s is not a member of %(team)s.") % {"who": assignee, "team": team}
            )
        return data


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$",  # 1970-01…2999-12: year 0/9999 crashed (#14)
        max_length=7,
        error_messages={"invalid": _("Give the month as YYYY-MM.")},
    )


class CustomerProfileForm(forms.Form):
    """The customer page's edit: tier, account manager, lifecycle stage (customers.services
    .customer_profile_update decides and audits)."""

    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    account_manager = StaffChoiceField(
        label=_("Account manager"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    lifecycle_stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Lifecycle.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["account_manager"]).queryset = assignable_staff()


class RevealForm(forms.Form):
    """Why the full phone number is needed (audited with the read)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        min_length=2,
        error_messages={
            "required": _("Say why you need the full number."),
            "min_length": _("Say why you need the full number."),
        },
    )
    ticket = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or organisation"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
