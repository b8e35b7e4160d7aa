import json
import urllib.request


def test_daphne_serves_health_and_json_404(daphne):
    with urllib.request.urlopen(f"{daphne.url}/api/v1/health", timeout=5) as resp:
        assert json.loads(resp.read())["redis"] == "ok"
    try:
        urllib.request.urlopen(f"{daphne.url}/missing", timeout=5)
    except urllib.error.HTTPError as err:
        assert err.code == 404
        assert json.loads(err.read())["error"]["code"] == "not_found"
    else:
        raise AssertionError("expected a 404")


def test_me_costs_two_round_trips(make_user, auth_client, roundtrips):
    client = auth_client(make_user()["token"])
    client.get("/api/v1/me")  # first use loads the script into Redis (SCRIPT LOAD), once per process
    roundtrips.reset()
    assert client.get("/api/v1/me").status_code == 200
    assert roundtrips.count == 2  # authenticate (one script) + profile and rank (one pipeline)
