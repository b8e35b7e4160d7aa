def test_health_ok(api):
    resp = api.get("/api/v1/health")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "ok" and body["redis"] == "ok"
    assert body["queue"]["queued"] == 0 and body["queue"]["failed"] == 0
