"""Portal forms: validation messages in the user's language (English msgids, gettext)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from herdesk.attachments.choices import ACCEPT
from herdesk.catalog.models import Product
from herdesk.common.pii import normalise_phone
from herdesk.notifications.choices import NoticeChannel
from herdesk.tickets.choices import ProblemType

from . import selectors
from .services import MAX_DESCRIPTION, MAX_REASON, MAX_REPLY, MAX_UPLOADS

ORDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]*$")

# One line under each problem type on the request form, so a farmer picks the right one (INT-4).
PROBLEM_HINTS: dict[str, Any] = {
    ProblemType.PRODUCT_INQUIRY: _("Products, prices, shelf life, availability"),
    ProblemType.TECHNICAL_SUPPORT: _("Equipment faults, error codes, how to operate"),
    ProblemType.ORDER_INQUIRY: _("Delivery, invoices, order changes"),
    ProblemType.AFTER_SALES: _("Installation, repair, maintenance visits"),
    ProblemType.COMPLAINT: _("Something went wrong and you are not satisfied"),
    ProblemType.SUGGESTION: _("Ideas to make our products or service better"),
}


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors (also service errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput | forms.RadioSelect):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        if not hasattr(self, "cleaned_data"):  # an unbound form may still show a service's message
            self.errors  # noqa: B018 - runs full_clean, which sets up the error dict
            self.cleaned_data = {}
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class PhoneForm(StyledForm):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "138 0000 0000"}
        ),
    )

    def clean_phone(self) -> str:
        try:
            e164 = normalise_phone(self.cleaned_data["phone"])
        except ValidationError:
            raise ValidationError(_("Enter a valid mobile number, e.g. 138 1234 5678."), code="invalid")
        if not e164:
            raise ValidationError(_("Enter a valid mobile number, e.g. 138 1234 5678."), code="invalid")
        return e164


class CodeForm(StyledForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "placeholder": "000000",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError(_("The code has 6 digits."), code="invalid")
        return code


class EmailForm(StyledForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={"invalid": _("Enter a valid email address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "name@example.com"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the upload checks themselves are herdesk.attachments' (SEC-5)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_UPLOADS:
            raise ValidationError(_("At most %(n)d files at a time.") % {"n": MAX_UPLOADS}, code="too_many")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.name_en if (get_language() or "").startswith("en") and obj.name_en else obj.name
        return f"{name} {obj.model_number}".strip()


class TicketForm(StyledForm):
    problem_type = forms.ChoiceField(
        label=_("What is it about?"),
        choices=ProblemType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what your request is about.")},
    )
    product = ProductChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("— Not about a specific product —"),
    )
    order_number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        required=False,
        help_text=_("If your request is about an order or a delivery."),
    )
    description = forms.CharField(
        label=_("Describe your problem or request"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Describe your problem or request.")},
    )
    attachments = MultipleFileField(
        label=_("Photos or files"),
        required=False,
        help_text=_("Up to 5 files: photos, videos, PDF, office documents or text."),
    )
    # One per rendered form: a double click or a resent POST returns the first ticket.
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = selectors.active_products()  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)

    def clean_order_number(self) -> str:
        value = self.cleaned_data["order_number"].strip()
        if value and not ORDER_RE.match(value):
            raise ValidationError(
                _("Use only letters, digits and - _ / . in the order number."), code="invalid"
            )
        return value

    def clean_description(self) -> str:
        value = self.cleaned_data["description"].strip()
        if len(value) < 5:
            raise ValidationError(
                _("Please tell us a little more (at least 5 characters)."), code="too_short"
            )
        return value

    def problem_choices(self) -> list[dict[str, Any]]:
        """Radio cards for the template: value, label, hint, checked."""
        current = self["problem_type"].value()
        return [
            {"value": v, "label": label, "hint": PROBLEM_HINTS.get(v, ""), "checked": v == current}
            for v, label in ProblemType.choices
        ]


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a message first.")},
    )
    attachments = MultipleFileField(label=_("Photos or files"), required=False)


class ChooseForm(StyledForm):
    position = forms.TypedChoiceField(
        label=_("Solution option"),
        coerce=int,
        choices=[(1, "1"), (2, "2"), (3, "3")],
        error_messages={
            "required": _("Choose one of the options."),
            "invalid_choice": _("Choose one of the options."),
        },
    )


class ConfirmForm(StyledForm):
    """No fields: the button itself is the confirmation (CSRF still applies)."""


class DisputeForm(StyledForm):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what is still wrong.")},
    )


class NoticePreferenceForm(forms.Form):
    """How the customer wants to hear about their requests (issue 12)."""

    channel = forms.ChoiceField(
        label=_("Tell me by"), required=False, widget=forms.RadioSelect, choices=NoticeChannel.choices
    )
    opt_out_non_essential = forms.BooleanField(
        label=_("Only the notices I need (received, new expected time, options, resolution to confirm)"),
        required=False,
    )
