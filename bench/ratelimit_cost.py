"""What the rate limiter costs: limiter checks per second against one plain Redis round trip.

    .venv/bin/python -m bench.ratelimit_cost            # about 25 s
    .venv/bin/python -m bench.ratelimit_cost --quick    # about 10 s, noisier

Runs on a private redis-server on 127.0.0.1 (never the developer's Redis), bounded to under
a minute. Variants run in short rounds, interleaved, so drift on a shared machine hits all of
them alike; the best round of each is reported. Figures:

- baseline: PING and GET, one plain round trip each, on the same client and pool;
- the fixed and sliding limiters on the admit path (a fresh key each call) and the reject path
  (one full key): each is one EVALSHA;
- SubmissionRateThrottle.allow_request: the full per-request path a view pays;
- the real submission endpoint over HTTP: two Procfile web servers on the same Redis, one with
  RATELIMIT_ENABLED=0 and one with the limiter on (at a rate no request reaches, so both do the
  same accept work), loaded alternately with the same POSTs from 600 users in turn. This is
  the figure with the target. A third server, limiter off but one PING added to every request
  (bench/control), shows what one more round trip costs there;
- a stand-in submission endpoint (bearer auth + one pipelined write) with and without the
  throttle, called in-process: with no HTTP server adding its fixed cost to both variants, the
  limiter's share of it is an upper bound on its share of the real endpoint.
"""
from __future__ import annotations

import itertools
import sys
import time
from typing import Callable

from bench.common import PrivateRedis, load_average, seed_users, setup_django
from bench.report import Figure

BUDGET_SECONDS = 58.0  # the in-process figures; the HTTP rounds have their own fixed length
HTTP_ROUNDS, HTTP_SECONDS = 3, 4
UNREACHED_RATE = "1000000/60s"
CONTROL_SETTINGS = "bench.control.settings"
TARGET_ENDPOINT_RATIO = 0.9  # the limiter may cost the endpoint at most 10% of its requests/s


class Timer:
    """Rounds of measurement inside one time budget for the whole run."""

    def __init__(self, rounds: int, round_seconds: float) -> None:
        self.started = time.perf_counter()
        self.rounds, self.round_seconds = rounds, round_seconds

    def check(self) -> None:
        if time.perf_counter() - self.started > BUDGET_SECONDS:
            raise SystemExit("time budget exceeded; figures would be incomplete")

    def best_rates(self, variants: dict[str, Callable[[], object]]) -> dict[str, float]:
        """Best calls/s of each variant over interleaved rounds."""
        best = {name: 0.0 for name in variants}
        for _ in range(self.rounds):
            for name, call in variants.items():
                self.check()
                best[name] = max(best[name], _calls_per_second(call, self.round_seconds))
        return best


def _calls_per_second(call: Callable[[], object], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while True:
        for _ in range(50):
            call()
        done += 50
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def _limiter_variants() -> dict[str, Callable[[], object]]:
    from config.redis.clients import redis_client
    from ratelimit import keys
    from ratelimit.limiters import FixedWindowLimiter, Rate, SlidingWindowLimiter

    client, rate, fresh = redis_client(), Rate(5, 60_000), itertools.count()
    client.set("bench:plain", "1")
    variants: dict[str, Callable[[], object]] = {
        "redis PING": client.ping,
        "redis GET": lambda: client.get("bench:plain"),
    }
    for lim in (FixedWindowLimiter(), SlidingWindowLimiter()):
        full = keys.submissions("bench-full", lim.algorithm)
        for _ in range(rate.limit):
            lim.hit(key=full, rate=rate)  # fills the key and loads the script
        variants[f"{lim.algorithm} limiter, admit"] = (
            lambda lim=lim: lim.hit(key=keys.submissions(f"u{next(fresh)}", lim.algorithm), rate=rate)
        )
        variants[f"{lim.algorithm} limiter, reject"] = lambda lim=lim, key=full: lim.hit(key=key, rate=rate)
    variants["SubmissionRateThrottle.allow_request"] = _throttle_call(fresh)
    return variants


def _throttle_call(fresh: itertools.count) -> Callable[[], object]:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from accounts.user import RedisUser
    from ratelimit.throttles import SubmissionRateThrottle

    # One request object, reused: building it is the view's cost, with or without a throttle.
    request = Request(APIRequestFactory().post("/"))

    def call() -> bool:
        request.user = RedisUser(f"t{next(fresh)}", "bench", "user", "s", 0, 0, 0)
        return SubmissionRateThrottle().allow_request(request, view=None)

    return call


def _endpoint_variants(tokens: list[str]) -> dict[str, Callable[[], object]]:
    """A stand-in submission endpoint called in-process, with and without the throttle."""
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from accounts.middleware import RedisSessionMiddleware
    from config.redis.clients import redis_client
    from ratelimit.throttles import SubmissionRateThrottle

    class AcceptApi(APIView):
        throttle_classes: list = []

        def post(self, request):
            # Stand-in for "accept": one pipelined write with its TTL, as the real endpoint does.
            pipe = redis_client().pipeline(transaction=False)
            pipe.set(f"bench:accepted:{request.user.id}", "1", ex=60)
            pipe.lpush("bench:queue", request.user.id)
            pipe.ltrim("bench:queue", 0, 999)
            pipe.execute()
            return Response({"status": "queued"}, status=202)

    class LimitedAcceptApi(AcceptApi):
        throttle_classes = [SubmissionRateThrottle]

    cycle, factory = itertools.cycle(tokens), APIRequestFactory()

    def endpoint(view) -> Callable[[], object]:
        def call() -> None:
            status = view(factory.post("/", HTTP_AUTHORIZATION=f"Bearer {next(cycle)}")).status_code
            if status != 202:
                raise SystemExit(f"stand-in endpoint answered {status}; figures would be wrong")

        return call

    return {  # behind the session middleware, as in the app: it gives the view its session lookup
        "without limiter": endpoint(RedisSessionMiddleware(AcceptApi.as_view())),
        "with limiter": endpoint(RedisSessionMiddleware(LimitedAcceptApi.as_view())),
    }


def _figures(micro: dict[str, float], endpoint: dict[str, float]) -> list[Figure]:
    get = micro["redis GET"]
    figures = [
        Figure(f"ratelimit: {name}", rate, "calls/s", baseline=get, baseline_label="redis GET")
        for name, rate in micro.items() if name != "redis GET"
    ]
    figures.append(Figure(
        "ratelimit: stand-in submission endpoint with limiter", endpoint["with limiter"], "req/s",
        baseline=endpoint["without limiter"], baseline_label="without",
        note="in-process, no HTTP server: the limiter's share here is an upper bound",
    ))
    return figures


def run(quick: bool = False) -> list[Figure]:
    """Measure everything on a private Redis; return the figures (also printed as a table)."""
    timer = Timer(rounds=3 if quick else 8, round_seconds=0.3)
    redis_server = PrivateRedis().start()
    try:
        setup_django(redis_server.url)
        print(f"rate limiter cost on 127.0.0.1; load average {load_average()}", flush=True)
        micro = timer.best_rates(_limiter_variants())
        tokens = [u["token"] for u in seed_users(600, prefix="rlbench")]
        _raise_submission_rate()
        endpoint = timer.best_rates(_endpoint_variants(tokens))
        http_figures = _over_http(redis_server.url, tokens, rounds=2 if quick else HTTP_ROUNDS)
    finally:
        redis_server.stop()
    figures = [*_figures(micro, endpoint), *http_figures]
    _print(figures, time.perf_counter() - timer.started)
    return figures


def _over_http(redis_url: str, tokens: list[str], *, rounds: int) -> list[Figure]:
    """POST /api/v1/quizzes/{id}/submissions req/s with the limiter on vs off, alternating rounds,
    and the control: limiter off plus one plain round trip."""
    from bench.common import seed_users
    from bench.http_api import procfile_web_server
    from bench.http_load import http_load
    from bench.roundtrips import ANSWERS, create_quiz

    quiz_id = create_quiz(seed_users(1, prefix="rlhttpadmin", role="admin")[0]["token"])
    path = f"/api/v1/quizzes/{quiz_id}/submissions"
    best = {"off": None, "on": None, "ping": None}
    with procfile_web_server(redis_url, 2, RATELIMIT_ENABLED="0") as off, \
            procfile_web_server(redis_url, 2, RATELIMIT_SUBMISSIONS_RATE=UNREACHED_RATE) as on, \
            procfile_web_server(redis_url, 2, RATELIMIT_ENABLED="0", DJANGO_SETTINGS_MODULE=CONTROL_SETTINGS) as ping:
        for _ in range(rounds):
            for name, srv in (("off", off), ("on", on), ("ping", ping)):
                res = http_load(srv.url + path, body=ANSWERS, tokens=tokens, seconds=HTTP_SECONDS, connections=16)
                if res.non_2xx or res.errors:
                    raise SystemExit(f"limiter {name}: {res.non_2xx} non-2xx, {res.errors} errors; figures would be wrong")
                print(f"  submissions over HTTP, limiter {name}: {res.rps:,.0f} req/s, p99 {res.p99_ms:.1f} ms", flush=True)
                if best[name] is None or res.rps > best[name].rps:
                    best[name] = res
    return [
        Figure(
            "ratelimit: POST submissions over HTTP, limiter on", best["on"].rps, "req/s", baseline=best["off"].rps,
            baseline_label="limiter off", target=(">=", TARGET_ENDPOINT_RATIO),
            note=f"Procfile web x2, {len(tokens)} users in turn; best of {rounds} alternating rounds of {HTTP_SECONDS} s",
        ),
        Figure(
            "control: the same, limiter off plus one PING per request", best["ping"].rps, "req/s",
            baseline=best["off"].rps, baseline_label="limiter off",
            note="what one more Redis round trip costs in this server (bench/control)",
        ),
    ]


def _raise_submission_rate() -> None:
    # 600 users x 100 per minute: no in-process call is rejected, so both variants do the same work.
    from django.conf import settings

    settings.RATELIMIT_SUBMISSIONS_RATE = "100/60s"


def _print(figures: list[Figure], elapsed: float) -> None:
    print(f"{'figure':<56} {'value':>9} {'us each':>8} {'baseline':>9} {'us each':>8} {'ratio':>6}  target")
    for fig in figures:
        verdict = f"{fig.target_text()} {fig.verdict}" if fig.target else ""
        print(f"{fig.name:<56} {fig.value:>9,.0f} {1e6 / fig.value:>8.1f} {fig.baseline:>9,.0f} "
              f"{1e6 / fig.baseline:>8.1f} {fig.ratio:>6.2f}  {verdict}")
    print(f"(value and baseline in calls/s, best of interleaved rounds; total {elapsed:.1f} s)", flush=True)


def main() -> None:
    run(quick="--quick" in sys.argv[1:])


if __name__ == "__main__":
    main()
