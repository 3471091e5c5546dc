"""Thread CPU of `POST /api/v1/tickets` through the real WSGI application of a checkout (issue #20).

Compares two revisions on a noisy machine: run it on each checkout in turn, several times, and read
the columns side by side. Each checkout gets its own SQLite file with the demo data under /tmp, and
requests go through `config.wsgi.application` (what `herdesk serve` runs in its HTTP threads), not
the test client. The figure is the thread's own CPU per request, p25 / p50 / mean.

    git worktree add /tmp/base <rev> && ln -s $PWD/.venv /tmp/base/.venv
    for i in 1 2 3; do for t in /tmp/base $PWD; do .venv/bin/python bench/ab_create.py $t 600; done; done
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

root = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 600
name = Path(root).name
sys.path[:0] = [f"{root}/bench", root]
os.chdir(root)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:////tmp/ab-{name}.sqlite3",
        "HERDESK_VAR_DIR": f"/tmp/ab-var-{name}",
        "HERDESK_EMBEDDED_SCHEDULER": "false",
        "HERDESK_LOG_LEVEL": "WARNING",
        "HERDESK_API_RATE_PER_TOKEN": "100000000",
        "HERDESK_API_RATE_PER_IP": "100000000",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }
)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

ready = Path(f"/tmp/ab-{name}.ready")
if not ready.exists():
    call_command("migrate", verbosity=0)
    call_command("demo", "load", "--quiet")
    ready.write_text("1")

from run import ticket_body  # noqa: E402

from config.wsgi import application as app  # noqa: E402
from herdesk.customers.models import Customer  # noqa: E402
from herdesk.staff.models import User  # noqa: E402
from herdesk.staff.services import token_create  # noqa: E402

token = token_create(user=User.objects.get(username="agent1"), name="ab")[1]
customers = list(Customer.objects.values_list("pk", flat=True)[:500])
rng = random.Random(1)


def environ(body: dict[str, object]) -> dict[str, object]:
    raw = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/tickets",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(raw),
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT_LANGUAGE": "zh-hans",
    }


times = []
status: list[str] = []


def start_response(s: str, headers: object, *exc: object) -> None:
    status.append(s)


for i in range(n + 30):  # the first 30 warm the process up
    status.clear()
    t0 = time.thread_time()
    result = app(environ(ticket_body(rng, customers)), start_response)
    out = b"".join(result)
    result.close()
    if i >= 30:
        times.append(time.thread_time() - t0)
    if not status[0].startswith("201"):
        raise SystemExit(f"create failed: {status[0]} {out[:300]!r}")
times.sort()
print(
    f"{name:8s} n={n} thread CPU per creation: p25 {times[n // 4] * 1e3:.2f} "
    f"p50 {times[n // 2] * 1e3:.2f} mean {statistics.mean(times) * 1e3:.2f} ms"
)
