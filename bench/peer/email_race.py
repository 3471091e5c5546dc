"""Email ingestion, side by side: Herdesk against django-helpdesk 2.6.1, same messages, one run, this machine.

    .venv/bin/python bench/peer/email_race.py [--messages 2000] [--seed 1] [--keep]

The messages are `bench/bench_email.py`'s `generate(n, seed)`: realistic Chinese mail — new requests from
new and known senders, replies threaded by In-Reply-To, out-of-office auto-replies, HTML alternatives,
GBK, small attachments.

django-helpdesk (its own venv `bench/peer/venv` from `race.ensure_venv()`, its own project
`bench/peer/peer_project`, a fresh SQLite database migrated before the clock starts) imports them with
its `get_email` management command from a queue with `email_box_type="local"`: one .eml file per message
in a directory, which `process_queue` reads in `os.listdir` order and deletes once a ticket or follow-up
was created. The directory is on tmpfs, where `os.listdir` lists the newest file first, so the files are
written newest first and come back in arrival order (checked before the run; replies need their original
to thread). Notifications go to the locmem email backend (the peer project's setting; what Django's test
runner, and so django-helpdesk's own tests, use).

django-helpdesk's local-directory reader opens each file in text mode (UTF-8 here) without an error
handler, so a message with an 8-bit body in another charset (GBK) raises UnicodeDecodeError and aborts
the whole queue run. The race therefore first runs `get_email` on the generator's bytes exactly and
reports where it stopped, then gives BOTH systems the same messages with those 8-bit non-UTF-8 parts
re-encoded as base64 (what an MTA does when it downgrades 8BITMIME, RFC 6152; same text, checked) and
times that.

Herdesk: the same bytes through `payload_store_many` + `payloads_process_pending` on a fresh SQLite
database, exactly as bench_email.py's "end to end" (its `configure` and `ingest`); acknowledgements are
then sent with `outbox_dispatch` through the locmem backend, timed separately, because django-helpdesk
sends its notifications inside `get_email`.

Prints a Markdown table; nothing is appended to RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PEER = Path(__file__).resolve().parent
BENCH = PEER.parent
ROOT = BENCH.parent
QUEUE_ADDRESS = "support@bench.example.cn"  # bench_email's mailbox address, the To: of every message


# --- the django-helpdesk side (runs under bench/peer/venv/bin/python, no Herdesk import) ----------------
def peer_worker(mode: str, maildir: str, out: str) -> int:
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket

    if mode == "setup":
        call_command("migrate", verbosity=0)
        Queue.objects.create(
            title="牧服客服",
            slug="support",
            email_address=QUEUE_ADDRESS,  # so the To: address is not subscribed as a CC on every ticket
            allow_email_submission=True,  # get_email only reads queues that allow it
            email_box_type="local",
            email_box_local_dir=maildir,
            # email_box_interval (5 min) and email_box_last_check (None → now − 30 min) let this run
            # read the queue; logging_type None → its logger has no handler, as in a default install.
        )
        return 0
    statements = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements[0] += 1
        return execute(sql, params, many, context)

    c0, t0 = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count):
        call_command("get_email")
    c1, t1 = time.process_time(), time.perf_counter()
    followups = FollowUp.objects.count()
    Path(out).write_text(
        json.dumps(
            {
                "wall": t1 - t0,
                "cpu": c1 - c0,
                "statements": statements[0],
                "tickets": Ticket.objects.count(),
                "followups": followups,
                "reopened": Ticket.objects.filter(status=Ticket.REOPENED_STATUS).count(),
                "attachments": FollowUpAttachment.objects.count(),
                "emails": len(getattr(mail, "outbox", [])),
                "left": sorted(os.listdir(maildir)),
            }
        )
    )
    return 0


# --- the driver (runs under .venv/bin/python) ------------------------------------------------------------
def downgrade_8bit(raw: bytes) -> bytes:
    """Re-encode the 8-bit parts whose charset is not UTF-8 as base64 (an MTA's 8BITMIME downgrade)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    changed = False
    for part in msg.walk():
        if part.is_multipart() or str(part.get("Content-Transfer-Encoding", "")).lower() != "8bit":
            continue
        if (part.get_content_charset() or "us-ascii") in {"utf-8", "us-ascii"}:
            continue
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(base64.encodebytes(data).decode("ascii"))
        changed = True
    if not changed:
        return raw
    new = msg.as_bytes()
    # Same message for a reader: the same headers and the same decoded text in every part.
    a = email.message_from_bytes(raw, policy=email.policy.default)
    b = email.message_from_bytes(new, policy=email.policy.default)
    for h in ("From", "To", "Subject", "Message-ID", "In-Reply-To", "Auto-Submitted"):
        assert str(a.get(h, "")) == str(b.get(h, "")), h
    pa, pb = list(a.walk()), list(b.walk())
    assert len(pa) == len(pb)
    for x, y in zip(pa, pb, strict=True):
        if not x.is_multipart():
            assert x.get_content() == y.get_content()
    return new


def fill_maildir(maildir: Path, msgs: list[bytes]) -> bool:
    """One .eml per message, written newest first; True when os.listdir gives them back in arrival order."""
    shutil.rmtree(maildir, ignore_errors=True)
    maildir.mkdir(parents=True)
    names = [f"{i:06d}.eml" for i in range(len(msgs))]
    for name, raw in reversed(list(zip(names, msgs, strict=True))):
        (maildir / name).write_bytes(raw)
    return os.listdir(maildir) == names


def run_peer(work: Path, name: str, msgs: list[bytes], maildir: Path) -> dict[str, Any]:
    """Fresh database and queue (not timed), then `get_email` in its own process (timed)."""
    import race

    db = work / f"{name}.sqlite3"
    home = work / name  # cwd: the peer project leaves MEDIA_ROOT empty, so attachments land here
    home.mkdir()
    in_order = fill_maildir(maildir, msgs)
    env = race.peer_env(db)
    worker = [str(race.PY), __file__, "--peer-worker"]
    out = work / f"{name}.json"
    subprocess.run([*worker, "setup", str(maildir), str(out)], env=env, cwd=home, check=True)
    load0 = os.getloadavg()[0]
    ru0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    p = subprocess.run(
        [*worker, "run", str(maildir), str(out)], env=env, cwd=home, capture_output=True, text=True
    )
    ru1, t1 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    r: dict[str, Any] = json.loads(out.read_text()) if p.returncode == 0 else {}
    r.update(
        {
            "process_wall": t1 - t0,
            "process_cpu": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
            "returncode": p.returncode,
            "stderr": p.stderr.strip(),
            "in_order": in_order,
            "load": max(load0, os.getloadavg()[0]),
        }
    )
    return r


def run_herdesk(work: Path, msgs: list[bytes]) -> dict[str, Any]:
    import bench_email as be

    be.configure(work / "herdesk")
    from django.core import mail
    from django.db import connection

    from herdesk.inbound.models import InboundPayload
    from herdesk.notifications.services import outbox_dispatch
    from herdesk.tickets.choices import Direction
    from herdesk.tickets.models import Interaction

    statements = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        r = be.ingest(msgs)
        e2e_statements = statements[0]
        c0, t0 = time.process_time(), time.perf_counter()
        sent = 0
        while True:
            d = outbox_dispatch(batch=500)
            sent += d["sent"]
            if d["sent"] + d["failed"] == 0:
                break
        c1, t1 = time.process_time(), time.perf_counter()
    r.update(
        {
            "wall": r["store_wall"] + r["process_wall"],
            "cpu": r["store_cpu"] + r["process_cpu"],
            "e2e_statements": e2e_statements,
            "dispatch_wall": t1 - t0,
            "dispatch_cpu": c1 - c0,
            "dispatch_statements": statements[0] - e2e_statements,
            "emails": sent,
            "locmem": len(getattr(mail, "outbox", [])),
            # One timeline entry per message: inbound, or internal for an auto-reply (no outbound ack).
            "inbound": Interaction.objects.filter(direction=Direction.INBOUND).count(),
            "internal": Interaction.objects.filter(direction=Direction.INTERNAL).count(),
            "payloads": InboundPayload.objects.count(),
        }
    )
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temp directories")
    args = ap.parse_args()

    sys.path[:0] = [str(PEER), str(BENCH), str(ROOT)]
    import race
    from bench_email import generate

    race.ensure_venv()
    n = args.messages
    original = generate(n, args.seed)
    msgs = [downgrade_8bit(raw) for raw in original]
    downgraded = sum(a != b for a, b in zip(original, msgs, strict=True))
    heads = [email.message_from_bytes(raw, policy=email.policy.compat32) for raw in msgs]
    expect_new = sum(1 for m in heads if not m.get("In-Reply-To"))
    expect_auto = sum(1 for m in heads if m.get("Auto-Submitted"))
    print(
        f"{n} messages (seed {args.seed}), {sum(map(len, msgs)) / n / 1024:.1f} KiB on average: "
        f"{expect_new} new requests, {n - expect_new - expect_auto} replies by In-Reply-To, "
        f"{expect_auto} auto-replies; {downgraded} with 8-bit GBK parts re-encoded as base64 for both",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="herdesk-email-race-"))  # databases: /tmp, same disk for both
    shm = Path("/dev/shm")
    maildir_root = Path(tempfile.mkdtemp(prefix="herdesk-email-race-", dir=shm if shm.is_dir() else work))
    try:
        print("django-helpdesk: get_email on the generator's exact bytes …", flush=True)
        raw_run = run_peer(work, "peer-exact", original, maildir_root / "exact")
        print("django-helpdesk: get_email on the race's messages …", flush=True)
        p = run_peer(work, "peer", msgs, maildir_root / "race")
        print("Herdesk: store + process (bench_email's end to end), then dispatch …", flush=True)
        h = run_herdesk(work, msgs)
        print(report(n, expect_new, h, p, raw_run, original))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(maildir_root, ignore_errors=True)
        else:
            print(f"kept {work} and {maildir_root}")


def _rate(k: int, s: float) -> str:
    return f"{k / s:,.0f}" if s > 0 else "–"


def report(
    n: int,
    expect_new: int,
    h: dict[str, Any],
    p: dict[str, Any],
    raw_run: dict[str, Any],
    original: list[bytes],
) -> str:
    import benchlib as bl
    import race

    if p.get("returncode") != 0 or "followups" not in p:
        return f"django-helpdesk get_email failed (exit {p.get('returncode')}):\n{p.get('stderr')}"
    # Herdesk: a message is in when its payload was processed into a new ticket or a timeline entry.
    h_in = h["outcomes"].get("ticket_created", 0) + h["outcomes"].get("interaction_added", 0)
    h_out = n - h_in
    # django-helpdesk: every message it took creates exactly one FollowUp (a new ticket's first one too);
    # the file of a message it did not take stays in the directory.
    p_in = p["followups"]
    p_out = n - p_in
    articles = f"{h['inbound'] + h['internal']} ({h['internal']} auto-replies as internal entries)"
    h_e2e = (h["wall"], h["cpu"])
    h_all = (h["wall"] + h["dispatch_wall"], h["cpu"] + h["dispatch_cpu"])
    rows = [
        [
            "Herdesk: store + process (bench_email end to end; acknowledgements queued in the outbox)",
            f"{h_in}/{n}",
            f"{h_e2e[0]:.2f}",
            _rate(h_in, h_e2e[0]),
            _rate(h_in, h_e2e[1]),
            str(h["tickets"]),
            articles,
            f"{h_out}",
            f"{h['e2e_statements'] / n:.1f}",
            "0 (queued)",
        ],
        [
            "Herdesk: the same + `outbox_dispatch` of the acknowledgements (locmem)",
            f"{h_in}/{n}",
            f"{h_all[0]:.2f}",
            _rate(h_in, h_all[0]),
            _rate(h_in, h_all[1]),
            str(h["tickets"]),
            articles,
            f"{h_out}",
            f"{(h['e2e_statements'] + h['dispatch_statements']) / n:.1f}",
            str(h["emails"]),
        ],
        [
            f"django-helpdesk {race.HELPDESK_VERSION}: `get_email` (local directory; sends inline, locmem)",
            f"{p_in}/{n}",
            f"{p['wall']:.2f}",
            _rate(p_in, p["wall"]),
            _rate(p_in, p["cpu"]),
            str(p["tickets"]),
            f"{p['followups']} follow-ups",
            f"{p_out} ({len(p['left'])} files left)",
            f"{p['statements'] / n:.1f}",
            str(p["emails"]),
        ],
        [
            "django-helpdesk: the whole `get_email` process, start-up (django.setup) included",
            f"{p_in}/{n}",
            f"{p['process_wall']:.2f}",
            _rate(p_in, p["process_wall"]),
            _rate(p_in, p["process_cpu"]),
            "″",
            "″",
            "″",
            "″",
            "″",
        ],
    ]
    table = bl.markdown(
        [
            "run",
            "messages in",
            "wall s",
            "msg/s wall",
            "msg/s per CPU-s",
            "tickets",
            "follow-ups / articles",
            "dropped / failed",
            "SQL per msg",
            "emails sent",
        ],
        rows,
    )
    pw, pc = p_in / p["wall"], p_in / p["cpu"]
    ratios = bl.markdown(
        ["Herdesk ÷ django-helpdesk get_email (in-process figures)", "wall", "per CPU-second"],
        [
            [
                "store + process (the issue's end-to-end figure)",
                f"{h_in / h_e2e[0] / pw:.1f}×",
                f"{h_in / h_e2e[1] / pc:.1f}×",
            ],
            [
                "store + process + acknowledgements sent (like for like with get_email)",
                f"{h_in / h_all[0] / pw:.1f}×",
                f"{h_in / h_all[1] / pc:.1f}×",
            ],
        ],
    )
    exact_in = raw_run.get("followups", 0)
    first_left = raw_run.get("left", [])[:1]
    cause = ""
    if first_left:
        i = int(first_left[0].split(".")[0])
        m = email.message_from_bytes(original[i], policy=email.policy.compat32)
        charsets = sorted({str(x.get_content_charset()) for x in m.walk() if not x.is_multipart()})
        cause = f"; it stopped at message {i} ({'/'.join(charsets)}, 8-bit)"
    err = next((ln for ln in raw_run.get("stderr", "").splitlines() if "Error" in ln), "")
    threaded = (
        f"tickets expected {expect_new} (messages without In-Reply-To): Herdesk {h['tickets']}, "
        f"django-helpdesk {p['tickets']} ({p['reopened']} tickets left in status Reopened by replies)"
    )
    facts = bl.machine()
    notes = [
        f"- machine: {facts['nproc']} cores, {facts['cpu']}; Python {facts['python']}; "
        f"commit {facts['commit']}; {facts['date']}",
        f"- load average (1 min) during the runs: django-helpdesk {p['load']:.2f}, Herdesk {h['load']:.2f}",
        f"- {threaded}",
        f"- django-helpdesk attachments stored: {p['attachments']} (the HTML part of every HTML mail is "
        f"kept as a file too); emails in its locmem outbox: {p['emails']}",
        f"- django-helpdesk files in arrival order: {p['in_order']}",
        f"- Herdesk payload states {h['states']}, outcomes {dict(h['outcomes'])}; process alone "
        f"{h['statements'] / n:.1f} SQL per message; dispatch {h['dispatch_wall']:.2f} s for {h['emails']}",
        f"- django-helpdesk on the generator's exact bytes: {exact_in}/{n} messages in, "
        f"{len(raw_run.get('left', []))} files left{cause}; {err or 'no error on stderr'}",
    ]
    return "\n" + table + "\n\n" + ratios + "\n\n" + "\n".join(notes) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--peer-worker":
        sys.exit(peer_worker(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(main())
