"""Field-service pages (FLD-1..4): the equipment registry, work orders, the engineer's phone pages,
the schedule board, the ICS feed, disease alerts and maintenance plans.

Thin: parse a form, call a selector or a service, show the result. Refusals become form errors or
messages with a 4xx status, never a 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.catalog.models import Product
from herdesk.common.errors import DomainError
from herdesk.customers.models import Customer, Organisation
from herdesk.staff.models import User
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get
from herdesk.workspace.views import _apply_errors, _page, staff_required

from . import imports, reports, selectors, services
from .choices import WorkOrderStatus
from .forms import (
    AlertForm,
    CancelForm,
    CompleteForm,
    DocumentForm,
    EquipmentForm,
    ImportForm,
    MeterForm,
    PartForm,
    PlanForm,
    ScheduleForm,
    WorkOrderForm,
)
from .models import DiseaseAlert, Equipment, EquipmentDocument, MaintenancePlan, Part, Store, WorkOrder

ZONE = ZoneInfo("Asia/Shanghai")


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):  # type: ignore[union-attr]
        raise PermissionDenied


def _equipment_or_404(pk: int) -> Equipment:
    eq = Equipment.objects.select_related("customer", "product", "farm").filter(pk=pk).first()
    if eq is None:
        raise Http404
    return eq


def _order_or_404(number: str) -> WorkOrder:
    wo = (
        WorkOrder.objects.select_related("customer", "farm", "equipment", "ticket")
        .filter(number=number[:40])
        .first()
    )
    if wo is None:
        raise Http404
    return wo


def _ticket_or_404(user: Any, number: str) -> Ticket:
    try:
        return ticket_get(user=user, number=number[:32])
    except Ticket.DoesNotExist:
        raise Http404


def _engineers() -> list[User]:
    return list(
        User.objects.filter(groups__name="field_engineer", is_active=True).order_by("username").distinct()
    )


def _lines(text: str) -> list[str]:
    return [x.strip() for x in (text or "").splitlines() if x.strip()]


def _plan_parts(text: str) -> list[dict[str, Any]]:
    """ "P-LINER 2" lines → [{"part": "P-LINER", "quantity": 2}]; a bad count becomes 0, which the
    service refuses with the part named."""
    out = []
    for line in _lines(text):
        code, _sep, qty = line.replace("×", " ").replace("x ", " ").partition(" ")
        qty = qty.strip() or "1"
        out.append({"part": code.strip(), "quantity": int(qty) if qty.isdigit() else 0})
    return out


# ---------------------------------------------------------------- equipment


@staff_required
@require_GET
def equipment_list(request: HttpRequest) -> HttpResponse:
    _need(request, "field.view_equipment")
    q = (request.GET.get("q") or "").strip()[:100]
    customer = request.GET.get("customer", "")
    rows = list(selectors.equipment_search(q=q, customer_id=int(customer) if customer.isdigit() else None))
    today = timezone.localdate()
    return _page(
        request,
        "field/equipment_list.html",
        {"active": "field", "rows": [(e, e.warranty_status(today)) for e in rows], "q": q},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def equipment_new(request: HttpRequest) -> HttpResponse:
    _need(request, "field.add_equipment")

    status = 200
    form = EquipmentForm(request.POST or None, initial={"customer_id": request.GET.get("customer", "")})
    if request.method == "POST":
        if form.is_valid():
            d = dict(form.cleaned_data)
            customer = Customer.objects.filter(pk=d.pop("customer_id")).first()
            code = d.pop("product_code")
            product = Product.objects.filter(code=code).first() if code else None
            if customer is None:
                form.add_error("customer_id", _("No customer with this id."))
            elif code and product is None:
                form.add_error("product_code", _("No product with this code."))
            else:
                try:
                    eq = services.equipment_create(
                        actor=request.user, customer=customer, product=product, serial=d.pop("serial"), **d
                    )
                except (ValidationError, DomainError) as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, _("Equipment registered."))
                    return redirect("field:equipment", pk=eq.pk)
        status = 400
    return _page(request, "field/equipment_new.html", {"active": "field", "form": form}, status=status)


@staff_required
@require_GET
def equipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "field.view_equipment")
    eq = _equipment_or_404(pk)
    public_url = request.build_absolute_uri(reverse("field:public", kwargs={"code": eq.public_code}))
    return _page(
        request,
        "field/equipment.html",
        {
            "active": "field",
            "eq": eq,
            "warranty": eq.warranty_status(timezone.localdate()),
            "history": selectors.service_history(equipment=eq),
            "documents": list(eq.documents.all()),
            "qr": reports.qr_svg(public_url),
            "meter_form": MeterForm(),
            "document_form": DocumentForm(),
            "can_change": request.user.has_perm("field.change_equipment"),  # type: ignore[union-attr]
        },
    )


@staff_required
@require_GET
def equipment_label(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable QR label (SVG): scanned by staff it opens the staff page, by a customer the
    equipment's public help page."""
    _need(request, "field.view_equipment")
    eq = _equipment_or_404(pk)
    url = request.build_absolute_uri(reverse("field:public", kwargs={"code": eq.public_code}))
    return _page(request, "field/label.html", {"eq": eq, "qr": reports.qr_svg(url, scale=6), "url": url})


@require_GET
def equipment_public(request: HttpRequest, code: str) -> HttpResponse:
    """The QR's target: staff go to the staff page; everyone else gets the public help page."""
    eq = Equipment.objects.select_related("product").filter(public_code=code[:24]).first()
    if eq is None:
        raise Http404
    user: Any = request.user
    if (
        user.is_authenticated
        and not getattr(user, "customer_id", None)
        and user.has_perm("field.view_equipment")
    ):
        return redirect("field:equipment", pk=eq.pk)
    from django.shortcuts import render

    return render(
        request, "field/public.html", {"eq": eq, "warranty": eq.warranty_status(timezone.localdate())}
    )


@staff_required
@require_POST
def equipment_reading(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "field.change_equipment")
    eq = _equipment_or_404(pk)
    form = MeterForm(request.POST)
    if form.is_valid():
        try:
            services.meter_reading_record(actor=request.user, equipment=eq, value=form.cleaned_data["value"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("field:equipment", pk=pk)
        messages.success(request, _("Meter reading recorded."))
    else:
        messages.error(request, _("Please correct the marked fields."))
    return redirect("field:equipment", pk=pk)


@staff_required
@require_POST
def equipment_document(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "field.change_equipment")
    eq = _equipment_or_404(pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Please correct the marked fields."))
        return redirect("field:equipment", pk=pk)
    f = form.cleaned_data["file"]
    if f.size > 20_000_000:
        messages.error(request, _("A document is at most 20 MB."))
        return redirect("field:equipment", pk=pk)
    EquipmentDocument.objects.create(
        equipment=eq,
        title=form.cleaned_data["title"],
        file=f,
        uploaded_by=request.user,  # type: ignore[misc]
    )
    messages.success(request, _("Document added."))
    return redirect("field:equipment", pk=pk)


@staff_required
@require_http_methods(["GET", "POST"])
def equipment_import(request: HttpRequest) -> HttpResponse:
    _need(request, "field.add_equipment")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 10_000_000:
                form.add_error("file", _("A file is at most 10 MB."))
            else:
                try:
                    rows = imports.read_rows(upload.read(), upload.name)
                except ValueError as exc:
                    form.add_error("file", str(exc))
                else:
                    report = imports.equipment_import(
                        actor=request.user, rows=rows, dry_run=form.cleaned_data["dry_run"]
                    )
        if not form.is_valid() or (report and report.errors):
            status = 400
    return _page(
        request,
        "field/import.html",
        {"active": "field", "form": form, "report": report, "columns": imports.COLUMNS},
        status=status,
    )


@staff_required
@require_GET
def equipment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _need(request, "field.view_equipment")
    if fmt not in ("xlsx", "csv"):
        raise Http404
    data = imports.equipment_export(Equipment.objects.all(), fmt)
    ctype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="equipment.{fmt}"'
    return resp


# ---------------------------------------------------------------- ticket hooks


@staff_required
@require_POST
def ticket_equipment(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "tickets.change_ticket")
    ticket = _ticket_or_404(request.user, number)
    raw = request.POST.get("equipment", "")
    eq = Equipment.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if raw and eq is None:
        messages.error(request, _("No such equipment."))
        return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}))
    try:
        services.ticket_equipment_link(actor=request.user, ticket=ticket, equipment=eq)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Equipment linked to the ticket."))
    return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}))


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_work_order(request: HttpRequest, number: str) -> HttpResponse:
    """A work order from a ticket (its customer and linked equipment)."""
    _need(request, "field.add_workorder")
    ticket = _ticket_or_404(request.user, number)
    form = WorkOrderForm(
        request.POST or None,
        initial={"content": ticket.subject, "kind": "installation" if "安装" in ticket.subject else "repair"},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                wo = services.work_order_create(
                    actor=request.user,
                    kind=d["kind"],
                    ticket=ticket,
                    content=d["content"],
                    address=d["address"],
                    checklist=_lines(d["checklist"]),
                )
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Work order %(n)s opened.") % {"n": wo.number})
                return redirect("field:order", number=wo.number)
        status = 400
    return _page(
        request,
        "field/order_new.html",
        {
            "active": "field",
            "form": form,
            "t": ticket,
            "equipment": selectors.ticket_equipment(ticket_id=ticket.pk),
        },
        status=status,
    )


# ---------------------------------------------------------------- work orders (desk)


@staff_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    _need(request, "field.view_workorder")
    state = request.GET.get("status", "open")
    qs = WorkOrder.objects.select_related("customer", "farm", "ticket").prefetch_related("engineers")
    if state == "open":
        qs = qs.filter(status__in=selectors.OPEN)
    elif state in WorkOrderStatus.values:
        qs = qs.filter(status=state)
    rows = list(qs.order_by("scheduled_start", "due_on", "pk")[:200])
    return _page(
        request,
        "field/orders.html",
        {"active": "field", "rows": rows, "state": state, "statuses": WorkOrderStatus.choices},
    )


def _order_ctx(request: HttpRequest, wo: WorkOrder, **extra: Any) -> dict[str, Any]:
    engineers = _engineers()
    start = timezone.localtime(wo.scheduled_start, ZONE) if wo.scheduled_start else None
    hours = (
        Decimal((wo.scheduled_end - wo.scheduled_start).total_seconds() / 3600).quantize(Decimal("0.1"))
        if wo.scheduled_start and wo.scheduled_end
        else 2
    )
    return {
        "active": "field",
        "wo": wo,
        "parts": list(wo.parts_used.select_related("part", "store")),
        "reservations": list(wo.reservations.select_related("part", "store")),
        "photos": list(wo.photos.all()),
        "schedule_form": extra.pop(
            "schedule_form",
            ScheduleForm(
                engineers=engineers,
                initial={
                    "engineers": [str(e.pk) for e in wo.engineers.all()],
                    "start": start.replace(tzinfo=None) if start else None,
                    "hours": hours,
                },
                prefix="s",
            ),
        ),
        "cancel_form": CancelForm(prefix="c"),
        "can_schedule": request.user.has_perm("field.schedule_workorder"),  # type: ignore[union-attr]
        **extra,
    }


@staff_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "field.view_workorder")
    wo = _order_or_404(number)
    return _page(request, "field/order.html", _order_ctx(request, wo))


def _aware(naive: dt.datetime) -> dt.datetime:
    return naive if timezone.is_aware(naive) else naive.replace(tzinfo=ZONE)


@staff_required
@require_POST
def order_schedule(request: HttpRequest, number: str) -> HttpResponse:
    """Book engineers (the order page's form and the board's drag and drop post here)."""
    _need(request, "field.schedule_workorder")
    wo = _order_or_404(number)
    engineers = _engineers()
    form = ScheduleForm(request.POST, engineers=engineers, prefix="s")
    back = request.POST.get("next", "")
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        start = _aware(d["start"])
        chosen = [e for e in engineers if str(e.pk) in d["engineers"]]
        try:
            services.work_order_schedule(
                actor=request.user,
                work_order=wo,
                engineers=chosen,
                start=start,
                end=start + dt.timedelta(hours=float(d["hours"])),
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
            status = 409 if isinstance(exc, DomainError) else 400
        else:
            messages.success(request, _("Work order %(n)s scheduled.") % {"n": wo.number})
            if back.startswith("/field/board/"):
                return redirect(back)
            return redirect("field:order", number=wo.number)
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, errors or _("Please correct the marked fields."))
    if back.startswith("/field/board/"):
        return redirect(back + ("&" if "?" in back else "?") + "refused=" + wo.number)
    return _page(request, "field/order.html", _order_ctx(request, wo, schedule_form=form), status=status)


@staff_required
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "field.schedule_workorder")
    wo = _order_or_404(number)
    form = CancelForm(request.POST, prefix="c")
    if not form.is_valid():
        messages.error(request, _("Say why the work order is cancelled."))
        return redirect("field:order", number=wo.number)
    try:
        services.work_order_cancel(actor=request.user, work_order=wo, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, "field/order.html", _order_ctx(request, wo), status=409)
    messages.success(request, _("Work order cancelled."))
    return redirect("field:order", number=wo.number)


@staff_required
@require_GET
def order_report(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "field.view_workorder")
    wo = _order_or_404(number)
    if not wo.report:
        raise Http404
    with wo.report.open("rb") as fh:
        resp = HttpResponse(fh.read(), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{wo.number}.pdf"'
    return resp


# ---------------------------------------------------------------- the engineer's phone pages


@staff_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    _need(request, "field.change_workorder")
    raw = request.GET.get("day", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    orders = selectors.engineer_day(user=request.user, day=day)
    feed = request.build_absolute_uri(
        reverse("field:ics", kwargs={"token": reports.feed_token(request.user)})
    )
    return _page(
        request,
        "field/my_day.html",
        {
            "active": "field_my",
            "orders": orders,
            "day": day,
            "prev": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "feed": feed,
        },
    )


def _my_ctx(request: HttpRequest, wo: WorkOrder, **extra: Any) -> dict[str, Any]:
    stores = list(Store.objects.filter(stock__part__is_active=True).distinct().order_by("kind", "code"))
    vans_first = sorted(stores, key=lambda s: (s.engineer_id != request.user.pk, s.kind != "van", s.code))
    part_form = PartForm(prefix="p")
    part_form.fields["part"].choices = [(str(p.pk), str(p)) for p in Part.objects.filter(is_active=True)]  # type: ignore[attr-defined]
    part_form.fields["store"].choices = [(str(s.pk), str(s)) for s in vans_first]  # type: ignore[attr-defined]
    maps = f"https://uri.amap.com/search?keyword={wo.address}" if wo.address else ""
    if wo.equipment_id and wo.equipment and wo.equipment.latitude is not None:
        e = wo.equipment
        maps = f"https://uri.amap.com/marker?position={e.longitude},{e.latitude}&name={wo.customer.name}"
    return {
        "active": "field_my",
        "wo": wo,
        "parts": list(wo.parts_used.select_related("part", "store")),
        "part_form": part_form,
        "complete_form": extra.pop("complete_form", CompleteForm(prefix="d")),
        "maps": maps,
        **extra,
    }


@staff_required
@require_GET
def my_order(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "field.change_workorder")
    wo = _order_or_404(number)
    return _page(request, "field/my_order.html", _my_ctx(request, wo))


@staff_required
@require_POST
def my_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """The phone's submissions, each with its client-generated idempotency key (a resent form —
    the offline queue, a double tap — is applied once)."""
    _need(request, "field.change_workorder")
    wo = _order_or_404(number)
    key = (request.POST.get("idempotency_key") or "")[:64]
    back = redirect("field:my_order", number=wo.number)
    try:
        if action == "arrive":
            services.work_order_arrive(actor=request.user, work_order=wo, idempotency_key=key)
            messages.success(request, _("Arrival recorded."))
        elif action == "part":
            pid, sid = request.POST.get("p-part", ""), request.POST.get("p-store", "")
            part = Part.objects.filter(pk=int(pid)).first() if pid.isdigit() else None
            store = Store.objects.filter(pk=int(sid)).first() if sid.isdigit() else None
            qty = request.POST.get("p-quantity", "")
            if part is None or store is None or not qty.isdigit():
                messages.error(request, _("Choose a part, where it came from and the quantity."))
                return _page(request, "field/my_order.html", _my_ctx(request, wo), status=400)
            services.part_use(
                actor=request.user,
                work_order=wo,
                part=part,
                store=store,
                quantity=int(qty),
                idempotency_key=key,
            )
            messages.success(request, _("Part recorded."))
        elif action == "photo":
            f = request.FILES.get("photo")
            if f is None:
                messages.error(request, _("Choose a photo."))
                return _page(request, "field/my_order.html", _my_ctx(request, wo), status=400)
            services.photo_add(actor=request.user, work_order=wo, content=f.read(), name=f.name or "")
            messages.success(request, _("Photo added."))
        elif action == "complete":
            form = CompleteForm(request.POST, prefix="d")
            if not form.is_valid():
                return _page(
                    request, "field/my_order.html", _my_ctx(request, wo, complete_form=form), status=400
                )
            d = form.cleaned_data
            try:
                png = services.signature_decode(d["signature"])
                done = [int(i) for i in request.POST.getlist("check") if i.isdigit()]
                services.work_order_complete(
                    actor=request.user,
                    work_order=wo,
                    findings=d["findings"],
                    signed_by=d["signed_by"],
                    confirmation=d["confirmation"],
                    signature_png=png,
                    checklist_done=done,
                    meter_hours=d["meter_hours"],
                    idempotency_key=key,
                )
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
                status = 409 if isinstance(exc, DomainError) else 400
                return _page(
                    request, "field/my_order.html", _my_ctx(request, wo, complete_form=form), status=status
                )
            messages.success(request, _("Work order completed; the report is on its way to the customer."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _page(request, "field/my_order.html", _my_ctx(request, wo), status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, "field/my_order.html", _my_ctx(request, wo), status=409)
    return back


# ---------------------------------------------------------------- board, feed, alerts, plans


@staff_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    _need(request, "field.schedule_workorder")
    raw = request.GET.get("start", "")
    try:
        start = dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        start = timezone.localdate()
    data = selectors.board(start=start)
    return _page(
        request,
        "field/board.html",
        {
            "active": "field_board",
            **data,
            "start": start,
            "prev": start - dt.timedelta(days=7),
            "next": start + dt.timedelta(days=7),
            "refused": request.GET.get("refused", "")[:40],
            "here": request.get_full_path().split("&refused=")[0].split("?refused=")[0],
        },
    )


@require_GET
def ics(request: HttpRequest, token: str) -> HttpResponse:
    """The engineer's personal calendar feed; the secret token is the credential."""
    uid = reports.feed_user_id(token)
    user = User.objects.filter(pk=uid, is_active=True).first() if uid else None
    if user is None:
        raise Http404
    resp = HttpResponse(
        reports.ics_feed(user, host=request.get_host()), content_type="text/calendar; charset=utf-8"
    )
    resp["Content-Disposition"] = 'inline; filename="herdesk-field.ics"'
    return resp


@staff_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    _need(request, "field.view_diseasealert")

    form = AlertForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _need(request, "field.add_diseasealert")
        end = request.POST.get("end", "")
        if end.isdigit():
            alert = DiseaseAlert.objects.filter(pk=int(end)).first()
            if alert is None:
                raise Http404
            services.disease_alert_end(actor=request.user, alert=alert)
            messages.success(request, _("Disease alert ended."))
            return redirect("field:alerts")
        if form.is_valid():
            farm = Organisation.objects.filter(pk=form.cleaned_data["farm"]).first()
            if farm is None:
                form.add_error("farm", _("No farm (organisation) with this id."))
            else:
                services.disease_alert_declare(
                    actor=request.user, farm=farm, disease=form.cleaned_data["disease"]
                )
                messages.success(request, _("Disease alert declared."))
                return redirect("field:alerts")
        status = 400
    rows = list(DiseaseAlert.objects.select_related("farm")[:100])
    farms = list(Organisation.objects.order_by("name")[:300])
    return _page(
        request,
        "field/alerts.html",
        {
            "active": "field_board",
            "rows": rows,
            "form": form,
            "farms": farms,
            "hours": services.quarantine_hours(),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def plans(request: HttpRequest) -> HttpResponse:
    _need(request, "field.view_maintenanceplan")

    form = PlanForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        _need(request, "field.add_maintenanceplan")
        if request.POST.get("run"):
            n = services.maintenance_generate(actor=request.user)
            messages.success(request, _("%(n)d maintenance work orders created.") % {"n": n})
            return redirect("field:plans")
        if form.is_valid():
            d = dict(form.cleaned_data)
            code, serial = d.pop("product_code"), d.pop("equipment_serial")
            product = Product.objects.filter(code=code).first() if code else None
            equipment = Equipment.objects.filter(serial=serial).first() if serial else None
            if code and product is None:
                form.add_error("product_code", _("No product with this code."))
            elif serial and equipment is None:
                form.add_error("equipment_serial", _("No equipment with this serial number."))
            else:
                try:
                    services.maintenance_plan_create(
                        actor=request.user,
                        name=d.pop("name"),
                        starts_on=d.pop("starts_on"),
                        product=product,
                        equipment=equipment,
                        checklist=_lines(d.pop("checklist")),
                        parts=_plan_parts(d.pop("parts")),
                        meter_interval=d.pop("meter_interval") or 0,
                        **d,
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, _("Maintenance plan saved."))
                    return redirect("field:plans")
        status = 400
    rows = list(MaintenancePlan.objects.select_related("product", "equipment").order_by("name"))
    return _page(request, "field/plans.html", {"active": "field", "rows": rows, "form": form}, status=status)
