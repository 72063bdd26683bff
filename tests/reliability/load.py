"""A small load driver: concurrent clients speaking plain HTTP (http.client) to one portal.

Each client is a thread with its own connection, cookie jar and random generator. It signs in as
an analyst, then until its deadline mixes predictions (most of the traffic: API single and batch,
and the form with its CSRF token), history reads (API and page) and, for the first client only,
a promotion or rollback about once a second. Every request is recorded with its status, its
latency and the ids of the predictions it says it stored, so a test can check them against the
database afterwards.
"""
from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

PREDICTIONS = ("api", "batch", "form")
# Share of each kind of request (the promotions are added on top, by the first client).
MIX = (("api", 0.45), ("batch", 0.15), ("form", 0.20), ("history api", 0.10),
       ("history page", 0.10))


@dataclass(frozen=True)
class Target:
    """Where the portal listens and what the clients need to know about it."""

    host: str
    port: int
    analyst: tuple[str, str]  # username, password
    analyst_token: str
    admin_token: str
    promoted: str             # the use case whose versions the first client switches
    versions: tuple[int, int]  # its production version and the one promoted over it


@dataclass(frozen=True)
class Outcome:
    """One request: what it was, how it ended, and the predictions it reports as stored."""

    kind: str
    status: int  # 0 when no usable answer came (refused, reset, timed out, not the shape sent)
    seconds: float
    version: int | None = None
    ids: tuple[int, ...] = ()
    error: str = ""


class Client:
    """One visitor: a keep-alive connection (reopened when the server closes it) and cookies."""

    # No timeout of its own: an answer, or the connection closed (gunicorn restarts a worker
    # silent for 60 s, and a dead server resets its connections), ends every request. A slow,
    # busy machine answers late; it must not be counted as not answering.
    def __init__(self, target: Target, timeout: float | None = None) -> None:
        self.target = target
        self.connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.location: str | None = None  # the last answer's Location header

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # next request opens a new connection
            raise
        self.location = response.headers.get("Location")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.connection.close()
        return response.status, data

    def json(self, method: str, path: str, payload: Any = None,
             token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps(payload).encode() if payload is not None else None
        status, data = self.send(method, path, body, headers)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        status, data = self.send("POST", path, urlencode(fields).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        return status, data.decode("utf-8", "replace")

    def page(self, path: str) -> tuple[int, str]:
        status, data = self.send("GET", path)
        return status, data.decode("utf-8", "replace")


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return found.group(1) if found else ""


def form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def catalogue(target: Target) -> dict[str, list[dict[str, Any]]]:
    """Every use case the portal serves, with its example inputs (read through the API)."""
    client = Client(target)
    _, listing = client.json("GET", "/api/v1/usecases")
    examples = {}
    for entry in listing["usecases"]:
        _, detail = client.json("GET", f"/api/v1/usecases/{entry['name']}")
        examples[entry["name"]] = list(detail["examples"].values())
    return examples


def run_client(number: int, target: Target, examples: dict[str, list[dict[str, Any]]],
               deadline: float, max_requests: int, out: list[Outcome]) -> None:
    """One client's loop, bounded both in time and in number of requests."""
    rng = random.Random(number)
    client = Client(target)
    names = sorted(examples)
    try:
        page = client.page("/auth/login")[1]
        status, answer = client.form("/auth/login", {"username": target.analyst[0],
                                                     "password": target.analyst[1],
                                                     "csrf_token": csrf_token(page)})
        token = csrf_token(client.page(f"/usecases/{names[0]}/")[1])
    except (OSError, http.client.HTTPException) as exc:
        status, answer = 0, repr(exc)
    if status != 302:
        out.append(Outcome("sign in", status, 0.0, error=answer[:300]))
        return
    promotions, next_promotion = 0, time.monotonic()
    for _ in range(max_requests):
        now = time.monotonic()
        if now >= deadline:
            return
        if number == 0 and now >= next_promotion:
            kind = "promote" if promotions % 2 == 0 else "rollback"
            promotions, next_promotion = promotions + 1, now + 1.0
        else:
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        name = rng.choice(names)
        began = time.perf_counter()
        try:
            outcome = one_request(client, kind, name, examples[name], token, rng)
        except Exception as exc:  # recorded, so that the test reports it with the others
            outcome = Outcome(kind, 0, 0.0, error=f"{type(exc).__name__}: {exc}")
        out.append(Outcome(outcome.kind, outcome.status, time.perf_counter() - began,
                           outcome.version, outcome.ids, outcome.error))


def one_request(client: Client, kind: str, name: str, examples: list[dict[str, Any]],
                token: str, rng: random.Random) -> Outcome:
    """Send one request of the given kind; report what the server said it did."""
    target = client.target
    if kind in ("api", "batch"):
        inputs = (rng.choice(examples) if kind == "api"
                  else [rng.choice(examples) for _ in range(rng.randint(2, 5))])
        status, body = client.json("POST", f"/api/v1/usecases/{name}/predict",
                                   {"inputs": inputs})
        if status != 200:
            return Outcome(kind, status, 0.0, error=str(body)[:300])
        rows = body["predictions"] if kind == "batch" else [body["prediction"]]
        return Outcome(kind, status, 0.0, body["version"], tuple(r["id"] for r in rows))
    if kind == "form":
        fields = {k: form_text(v) for k, v in rng.choice(examples).items()}
        status, page = client.form(f"/usecases/{name}/", fields | {"csrf_token": token})
        if status == 303:  # the result's own page, as a browser follows it
            status, page = client.page(client.location)
        found = re.search(r"model version (\d+) · prediction #(\d+)", page)
        if status != 200 or not found:
            return Outcome(kind, status, 0.0, error=page[:300])
        return Outcome(kind, status, 0.0, int(found.group(1)), (int(found.group(2)),))
    if kind == "history api":
        status, body = client.json("GET", "/api/v1/predictions?limit=20",
                                   token=target.analyst_token)
        return Outcome(kind, status, 0.0, error="" if status == 200 else str(body)[:300])
    if kind == "history page":
        status, page = client.page("/history/")
        return Outcome(kind, status, 0.0, error="" if status == 200 else page[:300])
    base = f"/api/v1/usecases/{target.promoted}"
    path = (f"{base}/versions/{target.versions[1]}/promote" if kind == "promote"
            else f"{base}/rollback")
    status, body = client.json("POST", path, {"reason": "load test"}, token=target.admin_token)
    return Outcome(kind, status, 0.0, error="" if status == 200 else str(body)[:300])


@dataclass
class Report:
    """Every outcome of a run, and the figures a person wants to read about it."""

    outcomes: list[Outcome]
    seconds: float
    clients: int
    figures: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        timed = sorted(o.seconds for o in self.outcomes)
        self.figures = {
            "clients": self.clients, "seconds": round(self.seconds, 1),
            "requests": len(self.outcomes),
            "requests_per_second": round(len(self.outcomes) / self.seconds, 1),
            "p50_ms": round(percentile(timed, 50) * 1000, 1),
            "p99_ms": round(percentile(timed, 99) * 1000, 1),
            "by_kind": {kind: {"requests": len(group),
                               "ok": sum(o.status == 200 for o in group),
                               "p50_ms": round(percentile(sorted(o.seconds for o in group),
                                                          50) * 1000, 1),
                               "p99_ms": round(percentile(sorted(o.seconds for o in group),
                                                          99) * 1000, 1)}
                        for kind, group in self.by_kind().items()},
            "statuses": dict(Counter(o.status for o in self.outcomes)),
            "predictions_answered": len(self.prediction_ids()),
        }

    def by_kind(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            groups.setdefault(outcome.kind, []).append(outcome)
        return dict(sorted(groups.items()))

    def prediction_ids(self) -> list[int]:
        """The id of every prediction a successful answer reported as stored, repeats kept."""
        return [i for o in self.outcomes if o.kind in PREDICTIONS and o.status == 200
                for i in o.ids]

    def text(self) -> str:
        f = self.figures
        lines = [f"load: {f['clients']} clients for {f['seconds']} s: {f['requests']} requests, "
                 f"{f['requests_per_second']} req/s, p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms; "
                 f"{f['predictions_answered']} predictions stored; statuses {f['statuses']}"]
        for kind, g in f["by_kind"].items():
            lines.append(f"  {kind:<13} {g['requests']:>6} requests, {g['ok']:>6} ok, "
                         f"p50 {g['p50_ms']:>7} ms, p99 {g['p99_ms']:>7} ms")
        return "\n".join(lines)


def percentile(ordered: list[float], pct: float) -> float:
    """The nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def run(target: Target, *, clients: int, seconds: float, max_requests: int = 100_000,
        promotions: bool = True) -> Report:
    """Run `clients` clients for `seconds` seconds (each at most `max_requests` requests);
    the first switches versions unless `promotions` is off."""
    examples = catalogue(target)
    first = 0 if promotions else 1
    outcomes: list[list[Outcome]] = [[] for _ in range(clients)]
    began = time.monotonic()
    deadline = began + seconds
    threads = [threading.Thread(target=run_client, daemon=True,
                                args=(first + n, target, examples, deadline, max_requests,
                                      outcomes[n]))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # a client may finish its last request after the deadline
    return Report([o for group in outcomes for o in group], time.monotonic() - began, clients)
