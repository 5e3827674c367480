"""API latency benchmark: p99 of two endpoints under gunicorn, against a 30 ms budget.

Targets `bare` (a JsonResponse through the same middleware, for information), `session`
(GET /api/v1/sessions/{id}) and `projects` (GET /api/v1/projects, the first page of 200):
what is measured and printed is in docs/api.md. The exit status is 1 when a request
failed (not on a MISS).

--seconds: per target and round; --workers: gunicorn's (sync); --concurrency: client threads.
"""

import contextlib
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import harness

BASE_DIR = Path(__file__).resolve().parent.parent
P99_BUDGET_MS = 30.0
BUDGETED = ("session", "projects")
PROJECTS = 200


# --- The server side: this module is the bench server's ROOT_URLCONF (api_settings.py) --


def bare_view(request):
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


def __getattr__(name):
    # Built on first access, so that the command line needs no Django settings.
    if name == "urlpatterns":
        from django.urls import path

        from config.urls import urlpatterns

        return [path("bench/bare", bare_view), *urlpatterns]
    raise AttributeError(name)


def seed() -> tuple[str, str]:
    """Rows for the benchmark: (a member's API key, the session's id)."""
    from django.contrib.auth import get_user_model

    from projects_app.models import Project, Workspace
    from projects_app.services import api_key_create
    from sessions_app.models import Session

    user = get_user_model().objects.create(username="bench")
    workspace = Workspace.objects.create(slug="bench", name="Bench")
    workspace.members.add(user)
    Project.objects.bulk_create(
        Project(workspace=workspace, title=f"Project {n}", intent=f"Intent {n}")
        for n in range(PROJECTS)
    )
    session = Session.objects.create(id="bench-session", workspace=workspace, title="Bench")
    return api_key_create(user=user, name="bench")[1], session.pk


# --- The client side ---------------------------------------------------------------------


def _get(port: int, path: str, headers: dict, timeout: float = 10) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def drive(port: int, path: str, headers: dict, seconds: float, concurrency: int) -> dict:
    """`concurrency` threads sending GET `path` for `seconds`: latencies of the 200s."""
    latencies: list[float] = []  # appended to by every thread (list.append is atomic)
    failures: list[None] = []
    deadline = time.perf_counter() + seconds

    def client():
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status = _get(port, path, headers)[0]
            except OSError:
                status = None
            if status == 200:
                latencies.append(time.perf_counter() - started)
            else:
                failures.append(None)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "errors": len(failures),
            "elapsed": time.perf_counter() - started}  # fmt: skip


def _workers_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) the gunicorn workers used so far (Linux /proc)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(runs: list[dict]) -> dict:
    latencies = sorted(value for run in runs for value in run["latencies"])
    elapsed = sum(run["elapsed"] for run in runs)
    cpu = sum(run["cpu"] for run in runs)
    return {
        "requests": len(latencies),
        "cpu_ms": 1000 * cpu / len(latencies) if latencies else float("nan"),
        "errors": sum(run["errors"] for run in runs),
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        **{f"p{q}": 1000 * percentile(latencies, q / 100) for q in (50, 95, 99)},
    }


# --- Orchestration -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            if _get(port, "/bench/bare", {}, timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def main(argv=None) -> int:
    load_at_start = os.getloadavg()
    with harness.scratch_run(__doc__, argv, seconds=8.0, workers=2, concurrency=8) as args:
        from django.db import connection

        secret, session_id = seed()
        conn_max_age = connection.settings_dict["CONN_MAX_AGE"]
        connection.close()  # the server's workers are the database's clients now
        # The scratch database's settings (harness) plus the bench server's URLs.
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.api_settings",
            "PYTHONPATH": str(BASE_DIR),
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        auth = {"Authorization": f"Bearer {secret}"}
        targets = {
            "bare": ("/bench/bare", {}),
            "session": (f"/api/v1/sessions/{session_id}", auth),
            "projects": ("/api/v1/projects", auth),
        }
        results = measure(env, targets, args)

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"gunicorn {args.workers} sync workers on 127.0.0.1, {database} "
        f"(CONN_MAX_AGE={conn_max_age}); {args.concurrency} concurrent clients, "
        f"{args.rounds} rounds x {args.seconds:g} s per target; load average at start "
        + " / ".join(f"{value:.2f}" for value in load_at_start)
    )
    print(
        f"{'target':<10}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'vs bare':>8}{'cpu ms':>8}  p99 <= {P99_BUDGET_MS:g} ms"
    )
    bare_rps = results["bare"]["rps"]
    for name, result in results.items():
        ratio = result["rps"] / bare_rps if bare_rps else float("nan")
        verdict = ""
        if name in BUDGETED:
            verdict = "PASS" if result["p99"] <= P99_BUDGET_MS else "MISS"
        print(
            f"{name:<10}{result['requests']:>9}{result['errors']:>7}{result['rps']:>8.0f}"
            f"{result['p50']:>8.1f}{result['p95']:>8.1f}{result['p99']:>8.1f}{ratio:>8.2f}"
            f"{result['cpu_ms']:>8.2f}"
            f"  {verdict}".rstrip()
        )
    return 1 if any(result["errors"] for result in results.values()) else 0


def measure(env: dict, targets: dict, args) -> dict[str, dict]:
    """Start gunicorn, warm every target up, run the rounds, stop it."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
            "--log-level", "warning",
        ],
        env=env, cwd=BASE_DIR,
    )  # fmt: skip
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    try:
        _wait_until_up(port, server)
        path, headers = targets["projects"]
        rows = len(json.loads(_get(port, path, headers)[1])["items"])
        if rows != 50:
            raise RuntimeError(f"{path} answered {rows} rows, not 50")
        for path, headers in targets.values():  # imports, connections, the key's first use
            drive(port, path, headers, 1, args.concurrency)
        for _ in range(args.rounds):
            for name, (path, headers) in targets.items():
                cpu = _workers_cpu_seconds(server)
                run = drive(port, path, headers, args.seconds, args.concurrency)
                run["cpu"] = _workers_cpu_seconds(server) - cpu
                runs[name].append(run)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {name: summary(target_runs) for name, target_runs in runs.items()}


if __name__ == "__main__":
    sys.exit(main())
