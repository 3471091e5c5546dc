"""Attachments (HND-7, SEC-5): type by extension *and* magic bytes, size limit, storage outside the web
root under a random name, permission-checked download as an attachment."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from herdesk.attachments.models import Attachment
from herdesk.attachments.selectors import attachment_for_download, attachments_for
from herdesk.attachments.services import attachment_add, attachment_path, clean_name
from herdesk.audit.models import AuditEntry
from herdesk.tickets import services as ts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def ticket(staff, customer):
    return ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="挤奶机故障",
    )


def test_accepts_a_real_png_and_stores_it_outside_the_web_root(ticket, staff) -> None:
    a = attachment_add(ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("故障照片.PNG", PNG))
    assert (a.original_name, a.extension, a.content_type, a.size) == (
        "故障照片.PNG",
        "png",
        "image/png",
        len(PNG),
    )
    path = attachment_path(a)
    assert path.read_bytes() == PNG
    assert Path(settings.MEDIA_ROOT).resolve() in path.parents
    assert "故障照片" not in str(path) and not str(path).endswith(".PNG")  # random name, no extension
    assert all(Path(d).resolve() not in path.parents for d in settings.STATICFILES_DIRS)
    assert AuditEntry.objects.filter(action="attachment.add", object_id=ticket.number).exists()
    assert ticket.interactions.filter(data__attachment=a.pk, is_public=False).exists()


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("photo.jpg", b"MZ\x90\x00 this is an exe", "does not match its type"),
        ("page.html", b"<html><script>alert(1)</script>", "are not accepted"),
        ("run.exe", b"MZ\x90\x00", "are not accepted"),
        ("noext", b"hello", "are not accepted"),
        ("empty.pdf", b"", "is empty"),
        ("notes.txt", b"\x00\x01\x02binary", "does not match its type"),
        ("report.docx", PDF, "does not match its type"),
    ],
)
def test_refuses_bad_files_and_leaves_nothing_behind(ticket, staff, name, body, message) -> None:
    before = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    with pytest.raises(ValidationError) as exc:
        attachment_add(ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile(name, body))
    assert message in " ".join(exc.value.message_dict["file"])
    assert not Attachment.objects.exists()
    assert {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()} == before


@override_settings(HERDESK_ATTACHMENT_MAX_BYTES=1024)
def test_size_limit_even_when_the_declared_size_lies(ticket, staff) -> None:
    with pytest.raises(ValidationError, match="larger than"):
        attachment_add(
            ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
        )

    class Lying(io.BytesIO):
        size = 10
        name = "big.pdf"

    with pytest.raises(ValidationError, match="larger than"):
        attachment_add(ticket=ticket, actor=staff["agent1"], upload=Lying(PDF + b"0" * 4096))
    assert not Attachment.objects.exists()


def test_text_in_chinese_encodings_is_accepted(ticket, staff) -> None:
    for name, body in (
        ("记录.txt", "温度 9℃，压力异常".encode()),
        ("导出.csv", "客户,电话\n张三,138".encode("gb18030")),
    ):
        attachment_add(ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile(name, body))
    assert Attachment.objects.count() == 2


def test_names_are_cleaned() -> None:
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\x\\照片.jpg") == "照片.jpg"
    assert clean_name("a\x00b\r\n.pdf") == "ab.pdf"
    long = clean_name("长" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_customers_see_only_public_files_of_their_own_tickets(
    ticket, staff, customer, other_customer
) -> None:
    from herdesk.staff.services import user_create

    internal = attachment_add(
        ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("内部.pdf", PDF)
    )
    public = attachment_add(
        ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("说明.pdf", PDF), is_public=True
    )
    owner = user_create(username="c1", password=None, role="customer", customer=customer)
    stranger = user_create(username="c2", password=None, role="customer", customer=other_customer)
    assert list(attachments_for(user=owner, ticket=ticket)) == [public]
    assert attachment_for_download(user=owner, pk=public.pk) == public
    with pytest.raises(Attachment.DoesNotExist):
        attachment_for_download(user=owner, pk=internal.pk)
    with pytest.raises(Attachment.DoesNotExist):
        attachment_for_download(user=stranger, pk=public.pk)


def test_download_view_checks_permission_and_forces_a_download(ticket, staff, other_customer) -> None:
    a = attachment_add(ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("故障 照片.png", PNG))
    c = Client()
    c.force_login(staff["agent1"])
    r = c.get(f"/attachments/{a.pk}/download/")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == PNG
    assert AuditEntry.objects.filter(action="attachment.download", actor_name="agent1").exists()
    # An engineer of another team may not see the ticket, so not its files either.
    c.force_login(staff["field2"])
    assert c.get(f"/attachments/{a.pk}/download/").status_code == 404
    assert Client().get(f"/attachments/{a.pk}/download/").status_code == 302  # login first


def test_upload_through_the_ticket_page(ticket, staff) -> None:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(staff["agent1"])
    r = c.post(
        f"/tickets/{ticket.number}/do/attach/",
        {
            "attach-file": SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100),
            "attach-is_public": "on",
        },
    )
    assert r.status_code == 302
    a = Attachment.objects.get()
    assert a.is_public and a.uploaded_by == staff["agent1"]
    assert "现场.jpg" in c.get(f"/tickets/{ticket.number}/").content.decode()
    r = c.post(
        f"/tickets/{ticket.number}/do/attach/", {"attach-file": SimpleUploadedFile("x.svg", b"<svg/>")}
    )
    assert r.status_code == 400 and "are not accepted" in r.content.decode()
