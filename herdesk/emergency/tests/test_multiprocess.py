"""Mass notification under failure (EMG-2), a small cousin of herdesk/ops/tests/test_multiprocess.py:
own PostgreSQL database and Redis database, 2 Celery workers and `herdesk beat` (outbox every second,
10-second lease). HERDESK_MP_EMG_CUSTOMERS affected customers (default 2,000) are notified of a
cold-chain incident by SMS; the producer is SIGKILLed mid-run and run again (the dedupe key adds
nothing twice), and a Celery worker is SIGKILLed while the messages go out, then restarted.

Afterwards: one recipient row and one outbox row per customer, every one sent, and the SMS provider
(a file-appending test backend, shared by the processes) got every phone number; a number twice
only for the one message a killed worker may have had between the provider's answer and the mark
(the outbox sends through an adapter at least once; see docs/architecture/emergencies.md).
"""

from __future__ import annotations

import collections
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from herdesk.ops.tests.test_multiprocess import HERDESK, ROOT, Fleet, _run, mp_env  # noqa: F401
from herdesk.sms.backends import SmsBackend

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.multiprocess]

N = int(os.environ.get("HERDESK_MP_EMG_CUSTOMERS", "2000"))
OUTBOX = "SELECT count(*) FROM notifications_outboxmessage WHERE dedupe_key LIKE %s"
SENT = OUTBOX + " AND status = 'sent'"
UNSENT = OUTBOX + " AND status <> 'sent'"
DEADLINE = int(os.environ.get("HERDESK_MP_EMG_DEADLINE", "420"))


class FileSmsBackend(SmsBackend):
    """A provider stand-in for several processes: one line per accepted message (O_APPEND)."""

    def send(self, message: Any) -> str:
        path = os.environ["HERDESK_MP_SMS_LOG"]
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.phone}\n".encode())
        finally:
            os.close(fd)
        return f"file-{time.time_ns()}"


def setup_incident(n: int) -> None:
    """Inside the new database: reference data, n customers with a phone each, a cold-chain
    incident at level II activated and executing. Prints INCIDENT=<pk>."""
    from herdesk.common.crypto import blind_index
    from herdesk.customers.models import Contact, Customer
    from herdesk.customers.services import PHONE_CTX
    from herdesk.demo.services import reference_data_ensure
    from herdesk.emergency import services
    from herdesk.emergency.choices import IncidentStatus as S
    from herdesk.emergency.models import ContingencyPlan

    reference_data_ensure()
    for lo in range(0, n, 1000):
        rows = Customer.objects.bulk_create(
            [Customer(name=f"多进程{i:05d}", region="内蒙古") for i in range(lo, min(n, lo + 1000))]
        )
        Contact.objects.bulk_create(
            [
                Contact(
                    customer=c,
                    phone=f"+86138{lo + k:08d}",
                    phone_bidx=blind_index(f"+86138{lo + k:08d}", context=PHONE_CTX),
                )
                for k, c in enumerate(rows)
            ]
        )
    plan = ContingencyPlan.objects.get(code="cold-chain")
    inc = services.incident_declare(plan=plan, level=2, actor=None, region="内蒙古")
    inc = services.incident_assess(incident=inc, actor=None, risk_assessment="multi-process test")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=None)
    inc = services.incident_transition(incident=inc, to=S.EXECUTING, actor=None)
    print(f"INCIDENT={inc.pk}")


def notify(incident_id: int) -> None:
    """The mass notification as a staff member's click would run it (every customer, SMS)."""
    from herdesk.customers.models import Customer
    from herdesk.emergency import services
    from herdesk.emergency.models import Incident

    inc = Incident.objects.get(pk=incident_id)
    ids = Customer.objects.filter(name__startswith="多进程").values_list("pk", flat=True)
    print(services.incident_notify_customers(incident=inc, actor=None, customer_ids=ids, channels=["sms"]))


def test_mass_notification_survives_kills(mp_env: dict[str, Any]) -> None:  # noqa: F811
    import psycopg

    env, tmp = dict(mp_env["env"]), mp_env["tmp"]
    log = tmp / "sms.log"
    env["HERDESK_SMS_BACKEND"] = "herdesk.emergency.tests.test_multiprocess.FileSmsBackend"
    env["HERDESK_MP_SMS_LOG"] = str(log)
    t0 = time.monotonic()
    _run(env, "migrate", "--noinput", "-v", "0")
    out = _run(
        env,
        "shell",
        "-c",
        f"from herdesk.emergency.tests.test_multiprocess import setup_incident; setup_incident({N})",
    )
    incident = int(dict(x.split("=", 1) for x in out.splitlines() if "=" in x)["INCIDENT"])
    conn = psycopg.connect(env["DATABASE_URL"], autocommit=True)
    q = lambda sql, *a: conn.execute(sql, a).fetchone()  # noqa: E731
    key = f"emg:{incident}:%"

    logdir = tmp / "logs"
    logdir.mkdir()
    fleet = Fleet(env, logdir)
    try:
        for k in range(2):
            fleet.start(
                f"worker{k}", ["worker", "--concurrency", "1", "--pool", "solo", "--name", f"emg{k}@%h"]
            )
        fleet.start("beat", ["beat", "--schedule-file", str(tmp / "beat-schedule")])
        # The producer, killed once it has committed a first chunk, then run again to the end.
        assert HERDESK
        code = f"from herdesk.emergency.tests.test_multiprocess import notify; notify({incident})"
        producer = subprocess.Popen([HERDESK, "shell", "-c", code], env=env, cwd=ROOT, start_new_session=True)
        while q("SELECT count(*) FROM emergency_incidentrecipient")[0] == 0 and producer.poll() is None:
            time.sleep(0.05)
        producer.kill()
        producer.wait(timeout=10)
        partial = q("SELECT count(*) FROM emergency_incidentrecipient")[0]
        queued_partial = q(OUTBOX, key)[0]
        assert partial == queued_partial  # recipients and outbox rows commit together
        t_notify = time.monotonic()
        _run(env, "shell", "-c", code)
        notify_seconds = time.monotonic() - t_notify
        # Mid-way through the sending: SIGKILL a worker, restart it.
        while (
            q(
                SENT,
                key,
            )[0]
            < N * 0.3
            and time.monotonic() - t0 < DEADLINE
        ):
            time.sleep(0.2)
        fleet.kill("worker0")
        time.sleep(1)
        fleet.restart("worker0")
        while True:
            unsent = q(
                UNSENT,
                key,
            )[0]
            if unsent == 0:
                break
            if time.monotonic() - t0 > DEADLINE:
                pytest.fail(f"{unsent} emergency messages unsent\n{fleet.tail()}")
            time.sleep(1)
    finally:
        fleet.stop_all()

    assert q("SELECT count(*), count(DISTINCT customer_id) FROM emergency_incidentrecipient") == (N, N)
    assert q(OUTBOX, key)[0] == N
    assert (
        q(
            SENT,
            key,
        )[0]
        == N
    )
    conn.close()
    sends = collections.Counter(Path(log).read_text().split())
    assert len(sends) == N  # every customer got the text
    twice = [p for p, n in sends.items() if n > 1]
    assert len(twice) <= 1, twice[:5]  # at most the one in flight when worker0 was killed
    import sys

    sys.stderr.write(
        f"\nemergency multi-process: {N} customers, producer killed after {partial} rows, re-run "
        f"{notify_seconds:.1f} s, {sum(sends.values())} SMS for {len(sends)} numbers "
        f"({len(twice)} twice), total {time.monotonic() - t0:.0f} s\n"
    )
