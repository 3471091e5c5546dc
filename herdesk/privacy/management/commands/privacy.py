"""`herdesk privacy …`: the data-subject request register (SEC-4, SEC-6).

herdesk privacy open (--customer ID | --phone NUMBER) --kind access|correction|erasure [--note T]
herdesk privacy list [--overdue]
herdesk privacy export REQUEST_ID --out FILE.json     (access: a copy of the subject's data)
herdesk privacy erase REQUEST_ID --yes                (erasure, keeps the statistics)
herdesk privacy complete REQUEST_ID [--reject] [--note T]   (correction done by hand, or refused)
herdesk privacy keys-adopt                            (give every customer a data key; re-encrypt
                                                       master-key values under it; idempotent)
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import customer_find_by_phone
from herdesk.customers.subject_keys import subject_keys_adopt
from herdesk.privacy import selectors, services
from herdesk.privacy.models import DataSubjectRequest, RequestKind, RequestStatus


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        o = sub.add_parser("open", help="register a request (the deadline is computed)")
        who = o.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", type=int)
        who.add_argument("--phone")
        o.add_argument("--kind", required=True, choices=RequestKind.values)
        o.add_argument("--note", default="")
        ls = sub.add_parser("list", help="open requests by due date")
        ls.add_argument("--overdue", action="store_true")
        e = sub.add_parser("export", help="write the subject's data to a JSON file (0600)")
        e.add_argument("request", type=int)
        e.add_argument("--out", required=True)
        r = sub.add_parser("erase", help="erase the subject's personal data (keeps the statistics)")
        r.add_argument("request", type=int)
        r.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
        c = sub.add_parser("complete", help="close a request by hand (correction done, or refused)")
        c.add_argument("request", type=int)
        c.add_argument("--reject", action="store_true")
        c.add_argument("--note", default="")
        sub.add_parser("keys-adopt", help="per-subject data keys for customers written before them")

    def _request(self, pk: int) -> DataSubjectRequest:
        request = DataSubjectRequest.objects.filter(pk=pk).first()
        if request is None:
            raise CommandError(f"no request #{pk}", returncode=2)
        if request.status != RequestStatus.OPEN:
            raise CommandError(f"request #{pk} is already {request.status}", returncode=2)
        return request

    def handle(self, *args: Any, **o: Any) -> None:
        actor = "cli"
        try:
            getattr(self, "_" + o["action"].replace("-", "_"))(o, actor)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2)

    def _open(self, o: dict[str, Any], actor: Any) -> None:
        if o["customer"]:
            customer = Customer.objects.filter(pk=o["customer"]).first()
        else:
            customer = customer_find_by_phone(user=None, phone=o["phone"]).order_by("id").first()
        if customer is None:
            raise CommandError("no such customer", returncode=2)
        request = services.dsr_open(actor=actor, customer=customer, kind=o["kind"], note=o["note"])
        due = timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"DSR-{request.pk} {request.kind} for customer #{customer.pk}: due {due} (Asia/Shanghai)"
        )

    def _list(self, o: dict[str, Any], actor: Any) -> None:
        rows = selectors.dsr_overdue() if o["overdue"] else selectors.dsr_open_requests()
        now = timezone.now()
        for r in rows:
            late = " OVERDUE" if r.due_at < now else ""
            due = timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"DSR-{r.pk} {r.kind:10} customer #{r.customer_id} due {due}{late}")

    def _export(self, o: dict[str, Any], actor: Any) -> None:
        request = self._request(o["request"])
        data = selectors.dsr_export(actor=actor, request=request)
        fd = os.open(o["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
        if request.kind == RequestKind.ACCESS:
            services.dsr_complete(
                actor=actor, request=request, result={"exported_tickets": len(data["tickets"])}
            )
        self.stdout.write(f"DSR-{request.pk}: written to {o['out']} (mode 0600)")

    def _erase(self, o: dict[str, Any], actor: Any) -> None:
        request = self._request(o["request"])
        if not o["yes"]:
            raise CommandError("erasure cannot be undone: add --yes", returncode=2)
        counts = services.dsr_erase(actor=actor, request=request)
        self.stdout.write(f"DSR-{request.pk}: erased " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    def _complete(self, o: dict[str, Any], actor: Any) -> None:
        request = self._request(o["request"])
        services.dsr_complete(actor=actor, request=request, rejected=o["reject"], note=o["note"])
        self.stdout.write(f"DSR-{request.pk}: {request.status}")

    def _keys_adopt(self, o: dict[str, Any], actor: Any) -> None:

        counts = subject_keys_adopt(Customer, Contact)
        self.stdout.write(
            f"re-encrypted under their own key: {counts['customers']} customers, "
            f"{counts['contacts']} contacts"
        )
