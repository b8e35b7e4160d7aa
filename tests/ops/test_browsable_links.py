"""The browsable API links the relative paths a body names (a submission's status_url) and still
escapes everything a user typed."""
from __future__ import annotations

import re

from accounts import services
from accounts.renderers import link_api_paths


def test_relative_api_paths_become_links_and_markup_stays_text():
    body = '{"status_url": "/api/v1/submissions/ab12", "title": "<script>alert(1)</script> & co"}'
    html = link_api_paths(body)
    assert '<a href="/api/v1/submissions/ab12" rel="nofollow">/api/v1/submissions/ab12</a>' in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_only_whole_quoted_api_paths_are_linked():
    html = link_api_paths('{"a": "/api/v1/x\\" onclick=\\"evil", "b": "/elsewhere"}')
    assert "<a " not in html


def test_a_submission_page_links_its_status_url(make_user, auth_client, api):
    admin = make_user("teacher")
    services.user_set_role(user_id=admin["id"], role="admin")
    quiz = {"title": "Q", "questions": [{"text": "?", "choices": ["a", "b"], "answer": 0, "points": 5}]}
    quiz_id = auth_client(admin["token"]).post("/api/v1/quizzes", quiz, format="json").json()["id"]
    player = auth_client(make_user("bob")["token"])
    page = player.post(f"/api/v1/quizzes/{quiz_id}/submissions", {"answers": [0]}, format="json",
                       HTTP_ACCEPT="text/html")
    assert page.status_code == 202
    submission_id = re.search(r'"id": "([0-9a-f]{32})"', page.content.decode().replace("&quot;", '"')).group(1)
    link = f"/api/v1/submissions/{submission_id}"
    assert f'<a href="{link}" rel="nofollow">{link}</a>' in page.content.decode()
