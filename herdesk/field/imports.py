"""Equipment import and export (FLD-1): XLSX (openpyxl / xlsxwriter) or CSV, one row per piece of
equipment keyed by serial number (a known serial is updated, a new one created). Every row is
validated first; a dry run reports what would happen and writes nothing, and a real run with any
invalid row also writes nothing (all or nothing, the report names each row's problems)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.catalog.models import Product
from herdesk.customers.models import Customer, Organisation

from .choices import EquipmentStatus
from .models import Equipment
from .services.equipment import _equipment_check, parse_date, parse_decimal

COLUMNS = [
    "serial",
    "customer_id",
    "product_code",
    "model",
    "farm",
    "barn",
    "address",
    "latitude",
    "longitude",
    "purchased_on",
    "installed_on",
    "warranty_months",
    "meter_hours",
    "status",
]
MAX_ROWS = 20000


@dataclass
class ImportReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, column, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(content: bytes, filename: str) -> list[dict[str, Any]]:
    """The rows of an uploaded file as dicts by header (lower-cased). ValueError for an unreadable file."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ValueError(_("The file is not a readable XLSX workbook.")) from exc
        it = wb.active.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(it, [])]
        rows = [dict(zip(header, r, strict=False)) for r in it if any(v not in (None, "") for v in r)]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(_("The CSV file must be UTF-8.")) from exc
        reader = csv.DictReader(io.StringIO(text))
        rows = [{(k or "").strip().lower(): v for k, v in r.items()} for r in reader]
    if len(rows) > MAX_ROWS:
        raise ValueError(_("At most %(n)d rows per file.") % {"n": MAX_ROWS})
    if rows and "serial" not in rows[0]:
        raise ValueError(_("The first row must name the columns: %(cols)s.") % {"cols": ", ".join(COLUMNS)})
    return rows


def _clean(
    row: dict[str, Any], refs: dict[str, dict[Any, Any]]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:

    errs: list[tuple[str, str]] = []
    out: dict[str, Any] = {}

    def text(name: str, limit: int) -> str:
        v = str(row.get(name) or "").strip()
        if len(v) > limit:
            errs.append((name, _("At most %(n)d characters (got %(got)d).") % {"n": limit, "got": len(v)}))
        return v[:limit]

    out["serial"] = text("serial", 80)
    if not out["serial"]:
        errs.append(("serial", _("This field is required.")))
    cid = str(row.get("customer_id") or "").strip()
    out["customer"] = refs["customers"].get(int(cid)) if cid.isdigit() else None
    if out["customer"] is None:
        errs.append(("customer_id", _("No customer with this id.")))
    code = text("product_code", 40)
    out["product"] = refs["products"].get(code) if code else None
    if code and out["product"] is None:
        errs.append(("product_code", _("No product with this code.")))
    farm = text("farm", 120)
    out["farm"] = refs["farms"].get(farm) if farm else None
    if farm and out["farm"] is None:
        errs.append(("farm", _("No farm (organisation) with this name.")))
    for name, limit in (("model", 80), ("barn", 80), ("address", 200)):
        out[name] = text(name, limit)
    for name in ("latitude", "longitude"):
        try:
            out[name] = parse_decimal(row.get(name))
        except ValueError:
            errs.append((name, _("Not a number.")))
    for name in ("purchased_on", "installed_on"):
        try:
            out[name] = parse_date(row.get(name))
        except ValueError:
            errs.append((name, _("Give the date as YYYY-MM-DD.")))
    for name, default in (("warranty_months", 12), ("meter_hours", 0)):
        v = row.get(name)
        if v in (None, ""):
            out[name] = default
        else:
            try:
                out[name] = int(float(str(v)))
                if out[name] < 0:
                    raise ValueError
            except ValueError:
                errs.append((name, _("Give a whole number (0 or more).")))
    status = text("status", 20) or EquipmentStatus.IN_SERVICE
    if status not in EquipmentStatus.values:
        errs.append(
            (
                "status",
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": status, "choices": ", ".join(EquipmentStatus.values)},
            )
        )
    out["status"] = status
    return out, errs


@transaction.atomic
def equipment_import(*, actor: Any, rows: list[dict[str, Any]], dry_run: bool = True) -> ImportReport:
    """Validate every row; unless a dry run and only when every row is valid, create/update them."""

    report = ImportReport(dry_run=dry_run)
    ids = {
        int(str(r.get("customer_id")).strip())
        for r in rows
        if str(r.get("customer_id") or "").strip().isdigit()
    }
    refs: dict[str, dict[Any, Any]] = {
        "customers": Customer.objects.in_bulk(list(ids)),
        "products": {p.code: p for p in Product.objects.all()},
        "farms": {o.name: o for o in Organisation.objects.all()},
    }
    existing = Equipment.objects.in_bulk(
        [str(r.get("serial") or "").strip() for r in rows], field_name="serial"
    )
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        values, errs = _clean(row, refs)
        check: dict[str, str] = {}
        if not errs:
            _equipment_check(check, values)
        errs += list(check.items())
        if values["serial"] in seen:
            errs.append(("serial", _("This serial number appears twice in the file.")))
        seen.add(values["serial"])
        eq = existing.get(values["serial"])
        if eq is not None and values["customer"] is not None and eq.customer_id != values["customer"].pk:
            errs.append(("customer_id", _("This serial number is registered to another customer.")))
        report.errors += [(n, col, str(msg)) for col, msg in errs]
        if not errs:
            cleaned.append(values)
            if eq is None:
                report.created += 1
            else:
                report.updated += 1
    if dry_run or report.errors:
        return report
    for values in cleaned:
        eq = existing.get(values["serial"])
        if values["farm"] is None and values["customer"].organisation_id:
            values["farm"] = values["customer"].organisation
        if eq is None:
            Equipment.objects.create(**values)
        else:
            for k, v in values.items():
                if k != "meter_hours" or v > eq.meter_hours:
                    setattr(eq, k, v)
            eq.save()
    audit_record(
        actor=actor,
        action="field.equipment_imported",
        object_type="equipment",
        object_id="import",
        data={"created": report.created, "updated": report.updated},
    )
    return report


def equipment_export(queryset: Any, fmt: str = "xlsx") -> bytes:
    """The equipment as XLSX (xlsxwriter) or CSV, in the import's columns (a round trip)."""
    rows = [
        [
            e.serial,
            e.customer_id,
            e.product.code if e.product_id else "",
            e.model,
            e.farm.name if e.farm_id else "",
            e.barn,
            e.address,
            str(e.latitude) if e.latitude is not None else "",
            str(e.longitude) if e.longitude is not None else "",
            e.purchased_on.isoformat() if e.purchased_on else "",
            e.installed_on.isoformat() if e.installed_on else "",
            e.warranty_months,
            e.meter_hours,
            e.status,
        ]
        for e in queryset.select_related("product", "farm").order_by("pk")
    ]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        w.writerows(rows)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("equipment")
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, COLUMNS, bold)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, r)
    wb.close()
    return out.getvalue()
