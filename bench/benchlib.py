"""Shared helpers for the benchmarks: timing, servers, process memory, machine facts, tables.

No Django import here: the peer race uses it with another Django installed next to it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Result:
    """One line of a results table."""

    scenario: str
    n: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    throughput: float | None = None  # operations per second
    peak_mb: float | None = None
    queries: int | None = None
    note: str = ""
    target: str = ""
    verdict: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(name: str, latencies_s: list[float], wall_s: float | None = None, **kw: Any) -> Result:
    n = len(latencies_s)
    wall = wall_s if wall_s is not None else sum(latencies_s)
    return Result(
        scenario=name,
        n=n,
        p50_ms=percentile(latencies_s, 50) * 1000 if n else None,
        p95_ms=percentile(latencies_s, 95) * 1000 if n else None,
        throughput=n / wall if wall else None,
        **kw,
    )


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run_clients(
    work: Callable[[int, threading.Event], list[float]], clients: int, seconds: float
) -> tuple[list[float], float]:
    """Run `work(client_index, stop_event)` in threads for `seconds`; returns (latencies, wall)."""
    stop = threading.Event()
    results: list[list[float]] = [[] for _ in range(clients)]

    def run(i: int) -> None:
        results[i] = work(i, stop)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    wall = time.perf_counter() - t0
    return [x for r in results for x in r], wall


# --- processes ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(_children(p))
    return pids


def reset_peak(pids: list[int]) -> None:
    """Reset VmHWM (peak resident set) so the next reading covers one scenario only (Linux)."""
    for p in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{p}/clear_refs").write_text("5")


def peak_mb(pids: list[int]) -> float | None:
    """Sum of the peak resident sets of the processes (MB)."""
    total, seen = 0, False
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
                    seen = True
        except OSError:
            pass
    return total / 1024 if seen else None


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Server:
    """A server subprocess in its own process group, stopped (with its children) on exit."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log: Path, cwd: Path = ROOT) -> None:
        self.port = port
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._logf = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/", timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log}")
            try:
                httpx.get(self.url + path, timeout=3)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"server not ready after {timeout} s; see {self.log}")

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._logf.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --- machine and report ---------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if dirty:
            commit += " + uncommitted changes"
    except OSError:
        commit = "unknown"
    return {
        "date": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(os.cpu_count() or "?"),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": commit or "unknown",
    }


def _fmt(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:  # None or NaN
        return "–"
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def table(results: list[Result]) -> str:
    head = ["scenario", "n", "p50 ms", "p95 ms", "ops/s", "queries", "peak MB", "target", "verdict", "note"]
    rows = [
        [
            r.scenario,
            str(r.n or "–"),
            _fmt(r.p50_ms),
            _fmt(r.p95_ms),
            _fmt(r.throughput),
            "–" if r.queries is None else str(r.queries),
            _fmt(r.peak_mb, 0),
            r.target,
            r.verdict,
            r.note,
        ]
        for r in results
    ]
    return markdown(head, rows)


def markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def append_results(path: Path, title: str, facts: dict[str, str], body: str) -> None:
    header = (
        f"\n## {title}\n\n"
        f"- date: {facts['date']}\n- machine: {facts['nproc']} cores, {facts['memory']}, {facts['cpu']}\n"
        f"- commit: {facts['commit']}; Python {facts['python']}\n"
    )
    for k, v in facts.items():
        if k not in {"date", "nproc", "memory", "cpu", "commit", "python"}:
            header += f"- {k}: {v}\n"
    with path.open("a", encoding="utf-8") as f:
        f.write(header + "\n" + body.rstrip() + "\n")
