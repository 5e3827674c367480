"""Benchmark: the API under gunicorn next to a bare Django JsonResponse view.

    python -m config.bench_api [--seconds 8] [--rounds 3] [--workers 2] [--concurrency 8]
                               [--database-url URL] [--conn-max-age N]

Builds a scratch SQLite database in a temporary data directory (or uses
--database-url, which must point at a scratch database: it is migrated and seeded),
starts gunicorn on 127.0.0.1 with `config.settings_bench`, and drives it from a second
process (the `load` sub-command below: threads, one HTTP request per connection, as
gunicorn's sync workers close connections anyway). Each round measures every target
for a fixed time; the figures printed are the median round. Then the same handlers are
timed in-process (Django's WSGI handler called directly, no network), which shows what
the API layer itself costs next to the plain views.

Targets:
  bare            GET /bench/bare                 JsonResponse({"ok": True}): same middleware,
                                                  no auth, no database (the issue's baseline)
  plain-session   GET /bench/plain/sessions/{id}  hand-written Django view doing the API's
  plain-projects  GET /bench/plain/projects       work (same key check, same rows, .values()
                                                  → JsonResponse): what ninja + pydantic cost
  session         GET /api/v1/sessions/{id}       the API: key auth, exact-id lookup
  projects        GET /api/v1/projects            the API: first page (50) of 200 projects
                                                  (on SQLite served from the kept page after
                                                  the first request: config/page_cache.py)
  projects-unkept GET /api/v1/projects            the same, from a second server started with
                                                  API_PAGE_CACHE_BYTES=0 (nothing kept): what
                                                  every request costs on PostgreSQL, and on
                                                  SQLite the first request after a change
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


# --- The baseline view (this module is the bench server's ROOT_URLCONF) -----------------


def bare_view(request):
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


def _plain_user(request):
    from projects_app.services import api_key_authenticate

    header = request.headers.get("Authorization", "")
    return api_key_authenticate(secret=header[7:]) if header.startswith("Bearer ") else None


def plain_session_view(request, session_id):
    from django.http import JsonResponse

    from projects_app.selectors import workspace_scope
    from sessions_app.models import Session

    user = _plain_user(request)
    if user is None:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    row = workspace_scope(Session.objects.all(), user=user).filter(pk=session_id).values()[:1]
    row = next(iter(row), None)
    if row is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    return JsonResponse(row)


def plain_projects_view(request):
    from django.http import JsonResponse

    from projects_app.selectors import project_list

    user = _plain_user(request)
    if user is None:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    projects = project_list(user=user)
    return JsonResponse({"items": list(projects.values()[:50]), "count": projects.count()})


def _urlpatterns():
    from django.urls import path

    from config.urls import urlpatterns as real

    return [
        path("bench/bare", bare_view),
        path("bench/plain/sessions/<str:session_id>", plain_session_view),
        path("bench/plain/projects", plain_projects_view),
        *real,
    ]


def __getattr__(name):
    # Built on first access, so importing this module for the CLI doesn't need Django.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# --- Seeding (runs inside `manage.py shell` of the bench environment) --------------------


def seed(projects: int = 200) -> None:
    """Rows for the benchmark; re-running on the same database reuses them."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from projects_app.models import Project, Workspace
    from projects_app.services import api_key_create
    from sessions_app.models import Session

    user, _ = get_user_model().objects.get_or_create(username="bench")
    workspace, _ = Workspace.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    workspace.members.add(user)
    missing = projects - workspace.projects.count()
    Project.objects.bulk_create(
        Project(workspace=workspace, title=f"Project {n}", intent=f"Intent {n}")
        for n in range(max(0, missing))
    )
    session, _ = Session.objects.get_or_create(
        id="bench-session", defaults={"workspace": workspace, "title": "Bench session"}
    )
    _, secret = api_key_create(user=user, name="bench")
    conn_max_age = settings.DATABASES["default"]["CONN_MAX_AGE"]
    print(json.dumps({"secret": secret, "session_id": session.pk, "conn_max_age": conn_max_age}))


# --- Load generator (the second process) ------------------------------------------------


def load(host: str, port: int, path: str, headers: dict, seconds: float, concurrency: int):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    failed += 1
                    continue
            except OSError:
                failed += 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * p99,
    }


# --- In-process comparison (the API layer's own cost, without network or client) --------


def in_process(targets: dict, secret: str, requests: int, repeats: int) -> dict[str, list]:
    """ms per request of each target, calling Django's WSGI handler directly."""
    import io

    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(path: str, auth: bool) -> None:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http",
        }  # fmt: skip
        if auth:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        statuses = []
        body = application(environ, lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{path}: {statuses[0]}")

    from django.conf import settings

    keep_bytes = settings.API_PAGE_CACHE_BYTES
    results: dict[str, list] = {name: [] for name in targets}
    for path, headers in targets.values():
        call(path, bool(headers))  # warm-up
    for _ in range(repeats):
        for name, (path, headers) in targets.items():
            settings.API_PAGE_CACHE_BYTES = 0 if name in UNKEPT else keep_bytes
            started = time.perf_counter()
            for _ in range(requests):
                call(path, bool(headers))
            results[name].append(1000 * (time.perf_counter() - started) / requests)
    return results


# --- Orchestration ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    load_cmd = sub.add_parser("load", help="(internal) drive one target, print JSON")
    load_cmd.add_argument("--port", type=int, required=True)
    load_cmd.add_argument("--path", required=True)
    load_cmd.add_argument("--header", action="append", default=[])
    load_cmd.add_argument("--seconds", type=float, default=8)
    load_cmd.add_argument("--concurrency", type=int, default=8)
    inproc_cmd = sub.add_parser("inprocess", help="(internal) in-process timings, print JSON")
    inproc_cmd.add_argument("--facts", required=True)
    inproc_cmd.add_argument("--requests", type=int, default=200)
    inproc_cmd.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--conn-max-age", type=int, default=None,
        help="override CONN_MAX_AGE (default: the project's setting, as in production)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    if args.command == "inprocess":
        facts = json.loads(args.facts)
        targets = _targets(facts)
        print(json.dumps(in_process(targets, facts["secret"], args.requests, args.repeats)))
        return 0

    if args.command == "load":
        headers = dict(h.split(": ", 1) for h in args.header)
        result = load("127.0.0.1", args.port, args.path, headers, args.seconds, args.concurrency)
        print(json.dumps(result))
        return 0

    data_dir = Path(tempfile.mkdtemp(prefix="sessionhub-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_bench",
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SESSIONHUB_DATA_DIR": str(data_dir),
    }
    if args.conn_max_age is not None:
        env["BENCH_CONN_MAX_AGE"] = str(args.conn_max_age)
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=BASE_DIR)
    seeded = subprocess.run(
        [*manage, "shell", "-c", "from config.bench_api import seed; seed()"],
        env=env, check=True, cwd=BASE_DIR, capture_output=True, text=True,
    )  # fmt: skip
    facts = json.loads(seeded.stdout.strip().splitlines()[-1])

    targets = _targets(facts)
    served = {name: target for name, target in targets.items() if name not in UNKEPT}
    rounds = _served_rounds(env, served, args)
    # A second server that keeps no page: the project list rendered on every request.
    unkept = {name: targets[name] for name in UNKEPT}
    rounds |= _served_rounds({**env, "API_PAGE_CACHE_BYTES": "0"}, unkept, args)

    db = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(
        f"gunicorn {args.workers} sync workers on 127.0.0.1, {db} "
        f"(CONN_MAX_AGE={facts['conn_max_age']}); load: {args.concurrency} "
        f"threads in a second process, {args.rounds} rounds x {args.seconds:g}s per target "
        "(median round shown)"
    )
    print(
        f"{'target':<16}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'vs bare':>9}{'vs plain':>9}"
    )
    median = {name: _median_round(results) for name, results in rounds.items()}
    for name, result in median.items():
        ratio = result["rps"] / median["bare"]["rps"]
        plain = median.get(f"plain-{name}")
        vs_plain = f"{result['rps'] / plain['rps']:>9.2f}" if plain else f"{'':>9}"
        print(
            f"{name:<16}{result['rps']:>8.0f}{result['p50_ms']:>8.1f}{result['p99_ms']:>8.1f}"
            f"{result['errors']:>7}{ratio:>9.2f}{vs_plain}".rstrip()
        )

    # The same handlers without network or client: what the API layer itself costs.
    output = subprocess.run(
        [sys.executable, "-m", "config.bench_api", "inprocess", "--facts", json.dumps(facts),
         "--repeats", str(args.rounds)],
        env=env, cwd=BASE_DIR, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    timings = json.loads(output.stdout.strip().splitlines()[-1])
    print()
    print(
        f"in-process (WSGI handler called directly, CONN_MAX_AGE={facts['conn_max_age']}), "
        "ms per request:"
    )
    for name, values in timings.items():
        print(f"{name:<16}" + "".join(f"{value:>8.2f}" for value in values))
    return 0


def _served_rounds(env: dict, targets: dict, args) -> dict[str, list[dict]]:
    """Start gunicorn with `env`, drive each target for every round, stop it."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
            "--log-level", "warning",
        ],
        env=env, cwd=BASE_DIR,
    )  # fmt: skip
    rounds: dict[str, list[dict]] = {name: [] for name in targets}
    try:
        _wait_until_up(port)
        for path, headers in targets.values():  # warm-up: imports, connections, caches
            _drive(port, path, headers, 1, args.concurrency)
        for _ in range(args.rounds):
            for name, (path, headers) in targets.items():
                rounds[name].append(_drive(port, path, headers, args.seconds, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rounds


# Targets measured with API_PAGE_CACHE_BYTES=0 (a second server; in-process, the setting).
UNKEPT = ("projects-unkept",)


def _targets(facts: dict) -> dict[str, tuple[str, list[str]]]:
    auth = f"Authorization: Bearer {facts['secret']}"
    session_id = facts["session_id"]
    return {
        "bare": ("/bench/bare", []),
        "plain-session": (f"/bench/plain/sessions/{session_id}", [auth]),
        "session": (f"/api/v1/sessions/{session_id}", [auth]),
        "plain-projects": ("/bench/plain/projects", [auth]),
        "projects": ("/api/v1/projects", [auth]),
        "projects-unkept": ("/api/v1/projects", [auth]),
    }


def _drive(port, path, headers, seconds, concurrency) -> dict:
    command = [
        sys.executable, "-m", "config.bench_api", "load", "--port", str(port), "--path", path,
        "--seconds", str(seconds), "--concurrency", str(concurrency),
    ]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=BASE_DIR)
    return json.loads(output.stdout)


def _median_round(results: list[dict]) -> dict:
    return sorted(results, key=lambda r: r["rps"])[len(results) // 2]


if __name__ == "__main__":
    sys.exit(main())
