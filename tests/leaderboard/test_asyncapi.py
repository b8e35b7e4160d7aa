"""The AsyncAPI 3 document (/api/v1/asyncapi.yaml) is valid, names every message the server sends,
and its payload schemas accept what the server really sends."""
from __future__ import annotations

import asyncio
import gzip
import json
import re
from pathlib import Path

import jsonschema
import yaml

from config.redis.clients import reset_clients
from leaderboard import groups, keys, selectors
from leaderboard.events import score_events_publish, with_event_id

ROOT = Path(__file__).resolve().parent.parent.parent
# The official AsyncAPI 3.0.0 JSON Schema: @asyncapi/specs 6.11.1 (Apache-2.0),
# schemas/3.0.0-without-$id.json, gzipped.
SPEC_SCHEMA = json.loads(gzip.decompress((Path(__file__).parent / "asyncapi-3.0.0.schema.json.gz").read_bytes()))
# A message type as the server writes it: `"type": "x.y"` in Python, `"type":"x.y"` or
# `type = 'x.y'` in the Lua scripts.
SENT_TYPE = re.compile(r"""["']?\btype["']?\s*[:=]\s*["']([a-z0-9_]+\.[a-z0-9_]+)["']""")


def _served(api) -> dict:
    resp = api.get("/api/v1/asyncapi.yaml")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/yaml")
    return yaml.safe_load(resp.content)


def _messages(doc: dict) -> dict[str, dict]:
    """Message name (the `type` on the wire) -> payload schema, with local $refs resolvable."""
    return {m["name"]: m["payload"] for m in doc["components"]["messages"].values()}


def _validator(doc: dict, payload: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**payload, "components": doc["components"]})


def test_the_served_document_is_valid_asyncapi_3(api):
    doc = _served(api)
    assert doc["asyncapi"].startswith("3.")
    jsonschema.Draft7Validator(SPEC_SCHEMA).validate(doc)
    assert {c["address"] for c in doc["channels"].values()} == {"/ws/leaderboard/", "/ws/me/"}
    for channel in doc["channels"].values():
        query = channel["bindings"]["ws"]["query"]
        assert "ticket" in query["required"] and "last_event_id" in query["properties"]
    description = doc["info"]["description"]
    for code in ("4401", "4400", "4429", "4503"):
        assert code in description, f"close code {code} is not described"
    assert "last_event_id" in description and "Replay rule" in description


def test_an_invalid_document_is_caught_by_the_same_check():
    broken = yaml.safe_load((ROOT / "leaderboard" / "asyncapi.yaml").read_text())
    del broken["channels"]["me"]["address"]
    broken["operations"]["receiveMe"]["action"] = "listen"
    assert list(jsonschema.Draft7Validator(SPEC_SCHEMA).iter_errors(broken))


def _layer_message_types() -> set[str]:
    """Types a consumer handles as channel-layer messages (Channels calls `a.b` as method `a_b`)."""
    from channels.consumer import AsyncConsumer

    from leaderboard import consumers

    handlers = {name for obj in vars(consumers).values()
                if isinstance(obj, type) and issubclass(obj, AsyncConsumer) for name in dir(obj)}
    return {name for name in handlers if not name.startswith("_")}


def test_every_message_type_the_server_sends_is_documented(api):
    sources = [*(ROOT / "leaderboard").rglob("*.py"), *(ROOT / "leaderboard").rglob("*.lua")]
    found = {name for path in sources for name in SENT_TYPE.findall(path.read_text())}
    # What reaches a client: not the ASGI events or the messages consumers exchange in-process.
    internal = _layer_message_types()
    sent = {name for name in found
            if not name.startswith(("websocket.", "http.")) and name.replace(".", "_") not in internal}
    assert {"leaderboard.snapshot", "me.snapshot", "submission.processed"} <= sent  # the grep works
    assert sent <= set(_messages(_served(api))), sent - set(_messages(_served(api)))


def test_what_the_server_sends_matches_the_payload_schemas(api, make_user, board, redis):
    doc = _served(api)
    messages = _messages(doc)
    user = make_user()
    board(user["id"], 140)
    score_events_publish(user_id=user["id"], username=user["username"], submission_id="s" * 32, score=40,
                         total_score=140, rank_before=None, rank_after=1, top10_changed=True)
    group = groups.group_create(user_id=user["id"], name="7b")  # the group socket's events too
    sent = [with_event_id(fields["body"], event_id)
            for stream in (keys.events_stream(), keys.user_events_stream(user["id"]),
                           keys.group_events_stream(group["id"]))
            for event_id, fields in redis.xrange(stream)]
    assert sum('"group_id"' in text for text in sent) == 2  # entered_top10 and top10_changed

    async def snapshots() -> list[dict]:
        try:
            return [{"type": "leaderboard.snapshot", **await selectors.leaderboard_snapshot()},
                    {"type": "me.snapshot", **await selectors.me_snapshot(user_id=user["id"])},
                    {"type": "leaderboard.snapshot", "group_id": group["id"],
                     **await selectors.group_snapshot(group_id=group["id"])}]
        finally:
            reset_clients()

    events = [json.loads(text) for text in sent] + asyncio.run(snapshots())
    assert {e["type"] for e in events} == set(messages)  # one of each
    for event in events:
        _validator(doc, messages[event["type"]]).validate(event)
