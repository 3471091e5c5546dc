"""`make bench-peer`: Herdesk against django-helpdesk 2.6.1 on the same machine, same data set.

    .venv/bin/python bench/peer/race.py

1. installs django-helpdesk==2.6.1 + gunicorn into bench/peer/venv (never into the project's .venv);
2. generates (once) the same 100,000-ticket Chinese data set as `make bench` on SQLite, and loads
   it into django-helpdesk's own SQLite database (bench/peer/load_dataset.py);
3. serves Herdesk with `herdesk serve --workers 2` and django-helpdesk with gunicorn (2 workers);
4. runs scenarios 1–4 and the sweep/escalation against both and prints a side-by-side table with
   the ratio; appends it to bench/RESULTS.md.

Environment: BENCH_PEER_TICKETS (100000), BENCH_SEED (1), BENCH_SECONDS (60), BENCH_CLIENTS (4),
BENCH_SEQUENTIAL (2000), BENCH_PEER_REPEAT (requests per slow read, 5), BENCH_PEER_TIMEOUT (per
request and per command cap in seconds, 120; a capped scenario is reported as "> N s"),
BENCH_PEER_ONLY=create (only the API create rows, printed and not recorded: for iterating).
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PEER = Path(__file__).resolve().parent
BENCH = PEER.parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]
os.environ.pop("DATABASE_URL", None)  # the race is on SQLite for both
os.environ["BENCH_TICKETS"] = os.environ.get("BENCH_PEER_TICKETS", "100000")

import benchlib as bl  # noqa: E402
import run as hd  # noqa: E402

VENV = PEER / "venv"
PY = VENV / "bin" / "python"
HELPDESK_VERSION = "2.6.1"
REPEAT = int(os.environ.get("BENCH_PEER_REPEAT", "5"))
TIMEOUT = float(os.environ.get("BENCH_PEER_TIMEOUT", "120"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "2000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
PASSWORD = "bench-peer"
# BENCH_PEER_ONLY=create: only scenario 1 (API create), for iterating on the write path.
ONLY = os.environ.get("BENCH_PEER_ONLY", "")


def ensure_venv() -> None:
    marker = VENV / f".helpdesk-{HELPDESK_VERSION}"
    if marker.exists():
        return
    print(f"installing django-helpdesk=={HELPDESK_VERSION} into {VENV} …", flush=True)
    if not PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(PEER / "requirements.txt"),
        ],
        check=True,
    )
    marker.touch()


def peer_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "HERDESK_"))}
    env.update(
        {"PEER_DB": str(db), "DJANGO_SETTINGS_MODULE": "peer_project.settings", "PYTHONPATH": str(PEER)}
    )
    return env


def prepare_peer(tickets: int) -> Path:
    pristine = hd.VAR / f"peer-dataset-{tickets}-{hd.SEED}.sqlite3"
    source = hd.VAR / f"dataset-{tickets}-{hd.SEED}.sqlite3"
    if not pristine.exists():
        tmp = pristine.with_suffix(".partial")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        print(f"loading the data set into django-helpdesk (once) → {pristine} …", flush=True)
        subprocess.run([str(PY), str(PEER / "load_dataset.py"), str(source)], env=peer_env(tmp), check=True)
        import sqlite3

        with sqlite3.connect(tmp) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            c.execute("PRAGMA journal_mode=DELETE")
        tmp.rename(pristine)
    run = hd.VAR / f"peer-run-{tickets}-{hd.SEED}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{run}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, run)
    return run


class Peer:
    """A logged-in session against django-helpdesk (staff superuser, CSRF for the REST API)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self) -> Any:
        import httpx

        c = httpx.Client(base_url=self.url, timeout=TIMEOUT)
        c.get("/helpdesk/login/")
        r = c.post(
            "/helpdesk/login/",
            data={
                "username": "bench",
                "password": PASSWORD,
                "csrfmiddlewaretoken": c.cookies.get("csrftoken", ""),
            },
            headers={"Referer": self.url + "/helpdesk/login/"},
        )
        if r.status_code != 302:
            raise RuntimeError(f"peer login failed: {r.status_code}")
        c.headers.update({"X-CSRFToken": c.cookies.get("csrftoken", ""), "Referer": self.url + "/helpdesk/"})
        return c


def datatables_path(search: str = "", status: list[int] | None = None) -> str:
    query = {
        "filtering": {"status__in": status} if status else {},
        "sorting": "created",
        "search_string": search,
        "sortreverse": True,
    }
    b64 = base64.b64encode(json.dumps(query).encode()).decode("ascii")
    return f"/helpdesk/datatables_ticket_list/{b64}?draw=1&start=0&length=25"


def capped_reads(client: Any, name: str, paths: list[str], repeat: int) -> bl.Result:
    """Timed GETs; a request over TIMEOUT stops the scenario and reports "> TIMEOUT s"."""
    import httpx

    lat: list[float] = []
    last: Any = None
    for i in range(repeat):
        t0 = time.perf_counter()
        try:
            last = client.get(paths[i % len(paths)])
        except httpx.TimeoutException:
            return bl.Result(name, n=len(lat), note=f"> {TIMEOUT:.0f} s (capped)", extra={"capped": True})
        lat.append(time.perf_counter() - t0)
    r = bl.summarise(name, lat)
    r.extra["response"] = last
    if last is not None and last.status_code != 200:
        r.note = f"HTTP {last.status_code}"
    return r


def create_load(
    post: Callable[[Any, dict[str, Any]], bool],
    make_client: Callable[[], Any],
    body: Callable[[random.Random], dict[str, Any]],
) -> tuple[bl.Result, bl.Result]:
    rng = random.Random(hd.SEED)
    c = make_client()
    lat: list[float] = []
    t_all = time.perf_counter()
    for _ in range(SEQUENTIAL):
        b = body(rng)
        t0 = time.perf_counter()
        ok = post(c, b)
        lat.append(time.perf_counter() - t0)
        if not ok:
            raise RuntimeError("create failed")
        if time.perf_counter() - t_all > max(TIMEOUT, 300):
            break
    seq = bl.summarise("1a API create, sequential", lat, time.perf_counter() - t_all)
    c.close()

    def work(i: int, stop: threading.Event) -> list[float]:
        r_ = random.Random(hd.SEED * 100 + i)
        cl = make_client()
        out = []
        while not stop.is_set():
            b = body(r_)
            t0 = time.perf_counter()
            if post(cl, b):
                out.append(time.perf_counter() - t0)
        cl.close()
        return out

    lat, wall = bl.run_clients(work, CLIENTS, SECONDS)
    return seq, bl.summarise(f"1b API create, {CLIENTS} clients", lat, wall)


def main() -> int:
    ensure_venv()
    t_start = time.perf_counter()
    env, _dbdesc = hd.prepare_dataset()
    tickets = hd.TICKETS
    peer_db = prepare_peer(tickets)
    hd.django_setup()
    from herdesk.staff.models import User

    tok = hd.tokens()
    customers = hd.customer_ids()
    h_port, p_port = bl.free_port(), bl.free_port()
    rows: list[tuple[str, bl.Result, bl.Result]] = []
    h_argv = [
        hd.HERDESK,
        "serve",
        "--port",
        str(h_port),
        "--workers",
        "2",
        "--no-access-log",
        "--no-scheduler",
    ]
    p_argv = [
        str(VENV / "bin" / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{p_port}",
        "--timeout",
        str(int(TIMEOUT) + 60),
        "--chdir",
        str(PEER),
        "peer_project.wsgi",
    ]
    with (
        bl.Server(h_argv, env, h_port, hd.VAR / "race-herdesk.log") as hs,
        bl.Server(p_argv, peer_env(peer_db), p_port, hd.VAR / "race-peer.log", cwd=PEER) as ps,
    ):
        hs.wait_ready("/healthz")
        ps.wait_ready("/helpdesk/login/")
        peer = Peer(ps.url)
        import httpx

        hh = {"Authorization": f"Bearer {tok['agent1']}", "Accept-Language": "zh-hans"}
        sup = {"Authorization": f"Bearer {tok['cs_lead']}", "Accept-Language": "zh-hans"}
        hc = httpx.Client(base_url=hs.url, headers=hh, timeout=TIMEOUT)
        pc = peer.client()
        if ONLY == "create":  # iterating on the write path: skip straight to scenario 1
            pass
        else:
            _race_reads(rows, hs, tok, hh, pc)
        hc.close()
        pc.close()
        # 1. API create (last: it changes the lists).
        print("race: API create …", flush=True)

        def h_post(c: Any, b: dict[str, Any]) -> bool:
            return bool(c.post("/api/v1/tickets", json=b).status_code == 201)

        def h_client() -> Any:
            return httpx.Client(base_url=hs.url, headers=hh, timeout=TIMEOUT)

        def p_post(c: Any, b: dict[str, Any]) -> bool:
            body = {
                "queue": 1,
                "title": b["subject"],
                "description": b["description"],
                "submitter_email": f"customer{b['customer_id']}@example.cn",
                "priority": 3,
            }
            return bool(c.post("/helpdesk/api/tickets/", json=body).status_code == 201)

        def body(rng: random.Random) -> dict[str, Any]:
            return hd.ticket_body(rng, customers)

        h1 = create_load(h_post, h_client, body)
        p1 = create_load(p_post, peer.client, body)
        rows.insert(0, ("1a API create, sequential (1 client)", h1[0], p1[0]))
        rows.insert(1, (f"1b API create, {CLIENTS} clients × {SECONDS:.0f} s", h1[1], p1[1]))
        del sup
    if ONLY != "create":
        _race_sweep(rows, peer_db)
    del User

    raw = [{"scenario": n, "herdesk": h.__dict__, "peer": p.__dict__} for n, h, p in rows]
    (hd.VAR / "race-last.json").write_text(json.dumps(raw, ensure_ascii=False, indent=1, default=str))
    table = side_by_side(rows)
    facts = bl.machine()
    facts["data set"] = (
        f"{tickets:,} generated Chinese tickets (seed {hd.SEED}) in both, SQLite (WAL) for both"
    )
    facts["servers"] = (
        "Herdesk: `herdesk serve --workers 2` (uvicorn; HTTP on Django's WSGI handler,"
        " HERDESK_HTTP_THREADS per worker, ADR 0005); django-helpdesk 2.6.1: gunicorn -w 2"
    )
    facts["run time"] = f"{time.perf_counter() - t_start:.0f} s"
    print(f"\nHerdesk vs django-helpdesk {HELPDESK_VERSION} — {tickets:,} tickets, SQLite\n")
    print(table)
    if not ONLY:  # a partial race is for iterating, not for the record
        bl.append_results(
            BENCH / "RESULTS.md", f"Race: Herdesk vs django-helpdesk {HELPDESK_VERSION}", facts, table
        )
    return 0


def _race_sweep(rows: list[Any], peer_db: Path) -> None:
    """Scenario 5: one full catch-up by Herdesk's clock sweep against django-helpdesk's escalate_tickets."""
    # 5. Sweep vs escalate_tickets.
    print("race: sweep / escalate_tickets …", flush=True)
    from herdesk.clocks.services import clock_sweep

    t0 = time.perf_counter()
    res = clock_sweep()
    h = bl.Result(
        "sweep",
        n=res.breaches + res.warnings,
        p50_ms=(time.perf_counter() - t0) * 1000,
        note=f"{res.breaches} breaches, {res.warnings} warnings",
    )
    t0 = time.perf_counter()
    try:
        subprocess.run(
            [str(PY), str(PEER / "manage.py"), "escalate_tickets"],
            env=peer_env(peer_db),
            cwd=PEER,
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 5,
        )
        p = bl.Result("escalate", p50_ms=(time.perf_counter() - t0) * 1000)
    except subprocess.TimeoutExpired:
        p = bl.Result("escalate", note=f"> {TIMEOUT * 5:.0f} s (capped)", extra={"capped": True})
    rows.append(("5 clock sweep / escalate_tickets, one full run", h, p))


def _race_reads(rows: list[Any], hs: Any, tok: dict[str, str], hh: dict[str, str], pc: Any) -> None:
    """Scenarios 2–4 (list data, API list, search, dashboard) against both systems."""
    # 2. Ticket list data (first page of the agent's list) and the API list page.
    print("race: list data …", flush=True)
    h = hd.http_reads(hs, "list", ["/api/v1/tickets?queue=team"], hh)
    p = capped_reads(pc, "list", [datatables_path(status=[1, 2])], REPEAT)
    rows.append(("2 list data, first page (Herdesk team queue API / helpdesk datatables)", h, p))
    h = hd.http_reads(hs, "api list", ["/api/v1/tickets"], hh)
    p = capped_reads(pc, "api list", ["/helpdesk/api/tickets/"], 1)
    rows.append(("2 API ticket list, first page", h, p))
    # 3. Search.
    print("race: search …", flush=True)
    h_search = {r.scenario: r for r in hd.scenario_search(hs, tok)}
    for term in hd.SEARCH_TERMS:
        p = capped_reads(pc, term, [datatables_path(search=term)], REPEAT)
        resp = p.extra.get("response")
        if resp is not None and resp.status_code == 200:
            p.note = f"{resp.json().get('recordsFiltered')} hits"
        h = h_search.get(f"3 search “{term}”") or next(iter(h_search.values()))
        rows.append((f"3 search “{term}”", h, p))
    # 4. Dashboard (Herdesk: the dashboard page when it exists, else the compliance summary API).
    print("race: dashboard …", flush=True)
    dash = hd.scenario_dashboard(hs, tok)
    p = capped_reads(pc, "dashboard", ["/helpdesk/dashboard/"], REPEAT)
    rows.append((f"4 dashboard ({dash[0].scenario.removeprefix('4 ')} / helpdesk dashboard)", dash[0], p))


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.1f} ms"


def _cell(r: bl.Result, throughput: bool) -> str:
    if r.extra.get("capped"):
        return r.note
    if throughput:
        if not r.throughput:
            return "–"
        return f"{r.throughput:,.1f}/s (p50 {_ms(r.p50_ms)}, p95 {_ms(r.p95_ms)})"
    s = _ms(r.p50_ms) if r.p95_ms is None or r.n <= 1 else f"p50 {_ms(r.p50_ms)}, p95 {_ms(r.p95_ms)}"
    return s + (f"; {r.note}" if r.note else "")


def side_by_side(rows: list[tuple[str, bl.Result, bl.Result]]) -> str:
    out = []
    for name, h, p in rows:
        thr = name.startswith("1")
        if thr:
            ratio = (h.throughput or 0) / p.throughput if p.throughput else None
        elif p.extra.get("capped"):
            ratio = TIMEOUT * 1000 / h.p50_ms if h.p50_ms else None
        else:
            ratio = (p.p50_ms or 0) / h.p50_ms if h.p50_ms and p.p50_ms else None
        cell = "–" if ratio is None else (f"> {ratio:,.0f}×" if p.extra.get("capped") else f"{ratio:,.1f}×")
        verdict = "" if ratio is None else ("≥ 10×" if ratio >= 10 else "below 10×")
        out.append([name, _cell(h, thr), _cell(p, thr), cell, verdict])
    return bl.markdown(
        ["scenario", "Herdesk", f"django-helpdesk {HELPDESK_VERSION}", "ratio", "target 10×"], out
    )


if __name__ == "__main__":
    sys.exit(main())
