"""Mass assignment: fields a client adds to a body never reach storage. Nobody sets their own
score, rank, role, version or id; the server computes them."""
from __future__ import annotations

from accounts import keys as account_keys
from quizzes import keys as quiz_keys
from tests.quizzes.conftest import MAX_SCORE, RIGHT, quiz_body, submit

SMUGGLED = {
    "id": "0123456789abcdef", "role": "admin", "is_admin": True, "is_staff": True,
    "total_score": 10_000, "quizzes_solved": 99, "rank": 1, "score": 10_000, "version": 99,
    "status": "processed", "user_id": "0123456789abcdef", "max_score": 1, "created_at": "2000-01-01T00:00:00Z",
}


def test_registration_ignores_role_id_and_score(api, auth_client, redis):
    body = {**SMUGGLED, "username": "eve", "password": "correct-horse-1"}
    created = api.post("/api/v1/auth/register", body, format="json")
    assert created.status_code == 201 and created.json()["id"] != SMUGGLED["id"]
    login = api.post("/api/v1/auth/login", {**body}, format="json").json()
    eve = auth_client(login["token"])
    assert eve.post("/api/v1/quizzes", quiz_body(), format="json").status_code == 403
    me = eve.get("/api/v1/me").json()
    assert (me["total_score"], me["quizzes_solved"], me["rank"]) == (0, 0, None)
    assert redis.hget(account_keys.user_profile(created.json()["id"]), "role") == "user"
    assert not redis.exists(account_keys.user_profile(SMUGGLED["id"]))


def test_quiz_writes_ignore_id_version_and_max_score(admin_client):
    created = admin_client.post("/api/v1/quizzes", {**SMUGGLED, **quiz_body()}, format="json").json()
    assert created["id"] != SMUGGLED["id"]
    assert (created["version"], created["max_score"]) == (1, MAX_SCORE)
    patched = admin_client.patch(f"/api/v1/quizzes/{created['id']}", {**SMUGGLED, "title": "New"}, format="json").json()
    assert (patched["id"], patched["version"], patched["max_score"]) == (created["id"], 2, MAX_SCORE)
    replaced = admin_client.put(f"/api/v1/quizzes/{created['id']}", {**SMUGGLED, **quiz_body()}, format="json").json()
    assert (replaced["version"], replaced["created_at"]) == (3, created["created_at"])


def test_a_submission_cannot_carry_its_own_score_status_or_owner(quiz, player, run_worker, redis):
    alice, client = player("alice")
    wrong = [1, 0, 1]  # every answer wrong: 0 points
    accepted = submit(client, quiz["id"], wrong, **{"HTTP_X_SCORE": "1000"})
    resp = client.post(f"/api/v1/quizzes/{quiz['id']}/submissions", {**SMUGGLED, "answers": wrong}, format="json")
    assert accepted.status_code == resp.status_code == 202
    stored = redis.hgetall(quiz_keys.submission(resp.json()["id"]))
    assert (stored["status"], stored["user_id"]) == ("queued", alice["id"])
    run_worker()
    body = client.get(f"/api/v1/submissions/{resp.json()['id']}").json()
    assert (body["status"], body["score"], body["max_score"]) == ("processed", 0, MAX_SCORE)
    me = client.get("/api/v1/me").json()
    assert (me["total_score"], me["rank"]) == (0, None)


def test_the_leaderboard_and_profiles_have_no_write_methods(player):
    alice, client = player("alice")
    for path in ("/api/v1/leaderboard", "/api/v1/leaderboard/me", "/api/v1/me", f"/api/v1/users/{alice['id']}"):
        for method in ("post", "put", "patch", "delete"):
            resp = getattr(client, method)(path, {"score": 10_000, "rank": 1}, format="json")
            if path == "/api/v1/me" and method in ("patch", "delete"):
                # API.md: PATCH /me takes only {public}, DELETE /me only {password} (issue 23).
                assert resp.status_code == 400, (method, path)
                assert resp.json()["error"]["code"] == "invalid"
                continue
            assert resp.status_code == 405, (method, path)
            assert resp.json()["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/me").json()["total_score"] == 0


def test_the_score_is_computed_from_the_answers(quiz, player, run_worker):
    _, client = player()
    submission_id = submit(client, quiz["id"], RIGHT).json()["id"]
    run_worker()
    assert client.get(f"/api/v1/submissions/{submission_id}").json()["score"] == MAX_SCORE
