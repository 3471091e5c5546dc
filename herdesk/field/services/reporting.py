"""The Chinese PDF service report of a completed order, queued to the customer."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from herdesk.notifications.services import outbox_enqueue_many

from ..models import (
    WorkOrder,
)
from ..reports import render_report_pdf
from ._common import _local


def report_send(*, work_order: WorkOrder) -> None:
    """Render the Chinese PDF service report onto the order and queue it to the customer (email)."""

    pdf = render_report_pdf(work_order)
    work_order.report.save(f"{work_order.number}.pdf", ContentFile(pdf), save=False)
    WorkOrder.objects.filter(pk=work_order.pk).update(report=work_order.report.name)
    text = (
        f"尊敬的{work_order.customer.name}：\n"
        f"您的{work_order.get_kind_display()}服务（工单 {work_order.number}）已于 "
        f"{_local(work_order.departed_at or timezone.now())} 完成。服务报告（PDF）见附件。\n"
        f"处理结果：{work_order.findings}"
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"field-report:{work_order.number}",
                "channel": "email",
                "recipient": f"customer:{work_order.customer_id}",
                "template": "field_service_report",
                "ticket_id": work_order.ticket_id,
                "payload": {
                    "subject": f"服务报告 {work_order.number}",
                    "text": text,
                    "ticket": work_order.ticket.number if work_order.ticket is not None else "",
                    "files": [work_order.report.name],
                },
            }
        ]
    )
