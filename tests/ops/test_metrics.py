"""`GET /metrics` over a real stack: the Procfile's web server with two processes and a score worker,
all writing to one METRICS_DIR; one scrape sums them. 404 without the token or with another one."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts import services
from quizzes import services as quiz_services
from tests.faults.stack import ProcfileProcess
from tests.quizzes.conftest import quiz_body

TOKEN = secrets.token_urlsafe(32)


@pytest.fixture
def stack(web_server_factory, tmp_path):
    """Two web processes and a score worker sharing one metrics folder; `scrape()` reads /metrics."""
    env = {"METRICS_DIR": str(tmp_path / "metrics"), "METRICS_TOKEN": TOKEN}
    web = web_server_factory(WEB_CONCURRENCY="2", **env)
    worker = ProcfileProcess("worker", env).start()
    yield web, worker, tmp_path / "metrics"
    worker.stop()


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape: (name, sorted labels) -> value."""
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text) for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    return sum(v for (n, found), v in samples.items() if n == name and set(labels.items()) <= set(found))


def pids_counting(folder: Path, name: str, **labels: str) -> set[int]:
    """The processes whose own counter file holds a sample of `name` with `labels`."""
    pids = set()
    for path in folder.glob("counter_*.db"):
        for key, count, _, _ in MmapedDict.read_all_values_from_file(str(path)):
            _, sample, found, *_ = json.loads(key)  # (metric, sample name, labels, help)
            if sample == name and set(labels.items()) <= set(found.items()) and count:
                pids.add(int(path.stem.split("_")[1]))
    return pids


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_one_scrape_counts_requests_jobs_and_sockets_of_every_process(stack):
    web, worker, folder = stack
    player = services.user_create(username="metrics-player", password="correct-horse-1")
    token = services.session_create(user=player).token
    quiz = quiz_services.quiz_create(**quiz_body())
    auth = {"Authorization": f"Bearer {token}"}
    route = {"route": "/api/v1/leaderboard", "method": "GET", "status": "200"}

    # Fresh connections until both web processes have answered some (the kernel spreads them).
    sent = 0
    while len(pids_counting(folder, "http_requests_total", **route)) < 2:
        assert sent < 400, "one web process answered every connection"
        for _ in range(10):
            assert httpx.get(f"{web.url}/api/v1/leaderboard", headers=auth).status_code == 200
        sent += 10
    # Summed over both processes (each writes its requests within a second: config/metrics/http.py).
    samples = wait_for(lambda: (s := scrape(web.url)) and value(s, "http_requests_total", **route) == sent and s)
    assert samples, f"expected {sent} requests counted"
    assert value(samples, "http_request_duration_seconds_count", route="/api/v1/leaderboard", method="GET") == sent
    assert value(samples, "http_request_duration_seconds_bucket", route="/api/v1/leaderboard", le="+Inf") == sent

    ticket = httpx.post(f"{web.url}/api/v1/auth/ws-ticket", headers=auth).json()["ticket"]
    with connect(f"{web.ws_url}/ws/leaderboard/?ticket={ticket}", open_timeout=10) as socket:
        socket.recv(timeout=10)  # the snapshot
        assert wait_for(lambda: value(scrape(web.url), "quizboard_websocket_connections", path="/ws/leaderboard/") == 1)

        accepted = httpx.post(f"{web.url}/api/v1/quizzes/{quiz['id']}/submissions", json={"answers": [0, 1, 0]},
                              headers=auth)
        assert accepted.status_code == 202
        socket.recv(timeout=30)  # the event the worker's score announced
        refused = [
            httpx.post(f"{web.url}/api/v1/quizzes/{quiz['id']}/submissions", json={"answers": "no"}, headers=auth),
            httpx.post(f"{web.url}/api/v1/quizzes/{'0' * 16}/submissions", json={"answers": [0]}, headers=auth),
        ]
        assert [r.status_code for r in refused] == [400, 404]
        samples = wait_for(lambda: (s := scrape(web.url)) and value(s, "quizboard_score_jobs_total", outcome="applied") and s)
    with pytest.raises(ConnectionClosed) as closed:
        with connect(f"{web.ws_url}/ws/me/?ticket=used-or-never-issued", open_timeout=10) as bad:
            bad.recv(timeout=10)
    assert closed.value.rcvd.code == 4401

    assert value(samples, "quizboard_score_jobs_total", outcome="applied") == 1
    assert value(samples, "quizboard_score_job_duration_seconds_count") == 1
    assert value(samples, "quizboard_submissions_accepted_total") == 1
    assert value(samples, "quizboard_submissions_refused_total", reason="400") == 1
    assert value(samples, "quizboard_submissions_refused_total", reason="404") == 1
    assert wait_for(lambda: value(scrape(web.url), "http_requests_total",
                                  route="/api/v1/quizzes/{quiz_id}/submissions", status="202") == 1)
    assert value(samples, "quizboard_websocket_messages_sent_total", path="/ws/leaderboard/") >= 2
    assert value(samples, "quizboard_queue_jobs", queue="scores") == 0
    assert value(samples, "quizboard_redis_up") == 1
    assert pids_counting(folder, "quizboard_score_jobs_total") == {worker.pid}

    after = wait_for(lambda: (s := scrape(web.url)) and value(s, "quizboard_websocket_closes_total", code="client") and s)
    assert value(after, "quizboard_websocket_closes_total", code="4401") == 1
    assert value(after, "quizboard_websocket_closes_total", code="client") == 1
    assert value(after, "quizboard_websocket_connections") == 0

    # Labels come from fixed sets: no id, token or ticket in any of them.
    text = httpx.get(f"{web.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    labels = " ".join(" ".join(f"{k}={v}" for k, v in found) for (_, found) in after)
    for secret in (quiz["id"], player["id"], accepted.json()["id"], token, ticket):
        assert secret not in text
    assert not re.search(r"[0-9a-f]{16}", labels), labels


def test_queue_depth_and_oldest_age_are_read_at_scrape_time(web_server_factory, tmp_path):
    web = web_server_factory(METRICS_DIR=str(tmp_path / "m"), METRICS_TOKEN=TOKEN)  # no worker: jobs wait
    player = services.user_create(username="metrics-waiting", password="correct-horse-1")
    quiz = quiz_services.quiz_create(**quiz_body())
    quiz_services.submission_create(user_id=player["id"], quiz_id=quiz["id"], answers=[0, 1, 0])
    time.sleep(1.1)
    samples = scrape(web.url)
    assert value(samples, "quizboard_queue_jobs", queue="scores") == 1
    assert 1.0 <= value(samples, "quizboard_queue_oldest_job_age_seconds", queue="scores") < 60


def test_metrics_answer_404_without_the_token_or_with_another(web_server_factory, tmp_path):
    web = web_server_factory(METRICS_DIR=str(tmp_path / "m"), METRICS_TOKEN=TOKEN)
    unset = web_server_factory(METRICS_DIR=str(tmp_path / "u"), METRICS_TOKEN="")
    for url, header in [(web.url, None), (web.url, "Bearer wrong-token"), (web.url, f"Basic {TOKEN}"),
                        (web.url, f"Bearer {TOKEN}x"), (unset.url, "Bearer -"), (unset.url, f"Bearer {TOKEN}")]:
        response = httpx.get(f"{url}/metrics", headers={"Authorization": header} if header else {})
        assert response.status_code == 404, header
        assert response.json()["error"]["code"] == "not_found"


def test_route_labels_are_templates_whatever_the_pattern_kind():
    from config.metrics.http import route_template

    assert route_template("api/v1/quizzes/<quiz_id:quiz_id>/submissions") == "/api/v1/quizzes/{quiz_id}/submissions"
    assert route_template("api/v1/^users/(?P<pk>[^/.]+)/ban$") == "/api/v1/users/{pk}/ban"
    assert route_template("api/v1/^items/(?P<pk>[0-9a-f]{16})\\.(?P<format>[a-z0-9]+)/?$") == "/api/v1/items/{pk}.{format}/?"
    assert route_template("") == "/"


def test_a_long_running_loop_counts_each_wait_on_redis_and_nothing_else():
    import redis.exceptions

    from config import metrics
    from config.redis.errors import Backoff

    counter = metrics.redis_errors.labels(metrics.ROLE)
    before = counter._value.get()
    backoff = Backoff()
    for error in (redis.exceptions.ConnectionError("down"), redis.exceptions.TimeoutError("stalled"), ValueError("bug")):
        try:
            raise error
        except Exception:
            backoff.next()
    backoff.next()  # outside any except block
    assert counter._value.get() - before == 2


def test_batched_observations_land_in_the_same_buckets_as_observe():
    from prometheus_client import CollectorRegistry, Histogram

    from config.metrics.http import _histogram_add

    values = [0.0, 0.004, 0.005, 0.0051, 0.3, 7.0, 11.0, 0.005]
    one_by_one = Histogram("a_seconds", "a", buckets=(0.005, 0.25, 10.0), registry=CollectorRegistry())
    batched = Histogram("b_seconds", "b", buckets=(0.005, 0.25, 10.0), registry=CollectorRegistry())
    for v in values:
        one_by_one.observe(v)
    _histogram_add(batched, values)

    def samples(h):
        return [(s.name.split("_", 1)[1], s.labels.get("le"), s.value)
                for s in h.collect()[0].samples if not s.name.endswith("_created")]

    assert samples(batched) == samples(one_by_one)
