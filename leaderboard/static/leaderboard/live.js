// The live leaderboard page: top 10 and "my rank" from /ws/leaderboard/ and /ws/me/, a quiz form.
// Plain script, same origin only (the page's CSP allows nothing else); the browser session cookie
// authenticates every request, and unsafe ones carry the CSRF token from the page.
"use strict";

(function () {
  const me = document.body.dataset.userId;
  if (!me) return; // logged out: the page only offers the login link
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;

  // --- HTTP -----------------------------------------------------------------------------------
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await resp.json(); } catch (e) { /* 204 or not JSON */ }
    return { resp, data };
  }

  // --- Connection status ----------------------------------------------------------------------
  const sockets = { board: "connecting", me: "connecting" };
  function setStatus(kind, state) {
    sockets[kind] = state;
    const all = Object.values(sockets);
    const shown = all.includes("ended") ? "ended"
      : all.every((s) => s === "live") ? "live"
      : all.includes("reconnecting") ? "reconnecting" : "connecting";
    const el = $("status");
    el.className = "status " + shown;
    el.textContent = shown === "ended" ? "signed out" : shown;
  }

  // --- Rendering ------------------------------------------------------------------------------
  let lastTop = new Map();
  function renderTop(entries) {
    const body = $("top10");
    body.replaceChildren();
    if (!entries.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      tr.innerHTML = '<td colspan="3">No scores yet. Be the first!</td>';
      body.append(tr);
    }
    const seen = new Map();
    for (const e of entries) {
      const tr = document.createElement("tr");
      tr.dataset.rank = e.rank;
      tr.dataset.userId = e.user_id;
      if (e.user_id === me) tr.classList.add("mine");
      const before = lastTop.get(e.user_id);
      if (lastTop.size && (!before || before.rank !== e.rank || before.score !== e.score)) tr.classList.add("changed");
      const rank = document.createElement("td"); rank.className = "rank";
      const badge = document.createElement("span"); badge.textContent = e.rank; rank.append(badge);
      const name = document.createElement("td"); name.className = "player"; name.textContent = e.username || e.user_id;
      const score = document.createElement("td"); score.className = "score"; score.textContent = e.score.toLocaleString();
      tr.append(rank, name, score);
      body.append(tr);
      seen.set(e.user_id, e);
    }
    lastTop = seen;
    const mine = seen.get(me);
    if (mine) showMe(mine.rank, mine.score);
  }

  function showMe(rank, score) {
    $("my-rank").textContent = rank == null ? "–" : "#" + rank;
    if (score != null) $("my-score").textContent = Number(score).toLocaleString();
  }

  function logEvent(text) {
    const list = $("events");
    if (list.firstElementChild && list.firstElementChild.classList.contains("muted")) list.replaceChildren();
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    li.append(time, document.createTextNode(text));
    list.prepend(li);
    while (list.children.length > 30) list.lastElementChild.remove();
  }

  // --- WebSockets: one-time ticket per connection, replay from the last event id ----------------
  // Returns a handle whose close() ends the feed for good (no reconnect): switching boards.
  function feed(kind, path, onMessage, query = "") {
    let lastEventId = null, delay = 500, socket = null, closed = false;

    async function connect() {
      let ticket;
      try {
        const { resp, data } = await api("POST", "/api/v1/auth/ws-ticket");
        if (resp.status === 401 || resp.status === 403) return ended();
        if (!resp.ok) throw new Error("ticket " + resp.status);
        ticket = data.ticket;
      } catch (e) {
        return retry();
      }
      if (closed) return;
      let url = wsBase + path + "?ticket=" + encodeURIComponent(ticket) + query;
      if (lastEventId) url += "&last_event_id=" + encodeURIComponent(lastEventId);
      socket = new WebSocket(url);
      // The backoff resets on the first message, not on open: a socket the server accepts and
      // closes at once (4429: too many sockets) keeps backing off.
      socket.onopen = () => { setStatus(kind, "live"); };
      socket.onmessage = (msg) => {
        delay = 500;
        const event = JSON.parse(msg.data);
        if (event.event_id) lastEventId = event.event_id;
        onMessage(event);
      };
      socket.onclose = (close) => {
        if (closed) return;
        if (close.code === 4401) return ended();
        if (close.code === 4403) return gone();
        retry();
      };
    }

    function retry() {
      if (closed) return;
      setStatus(kind, "reconnecting");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    }

    function ended() {
      setStatus(kind, "ended");
      logEvent("Your session ended. Log in again to keep watching.");
    }

    function gone() {
      setStatus(kind, "ended");
      logEvent("You are no longer a member of that group.");
    }

    connect();
    return { close() { closed = true; if (socket) socket.close(); } };
  }

  // --- The board: everyone's, or one of the caller's groups (/ws/leaderboard/?group=<id>) -------
  const boardSelect = $("board-select"), boardTitle = $("board-title");
  let group = "", boardFeed = null;

  function onBoardEvent(event) {
    if ((event.group_id || "") !== group) return; // a message of the board we just left
    switch (event.type) {
      case "leaderboard.snapshot":
      case "leaderboard.top10_changed":
        renderTop(event.entries);
        if (event.type === "leaderboard.top10_changed") logEvent("The top 10 changed.");
        if (group) showGroupRank();
        break;
      case "leaderboard.entered_top10":
        logEvent(`${event.username} entered the top 10 at #${event.rank} with ${event.score} points.`);
        break;
    }
  }

  async function showGroupRank() {
    const { resp, data } = await api("GET", `/api/v1/groups/${group}/leaderboard/me?around=0`);
    if (resp.ok && group) showMe(data.rank, data.score);
  }

  function watchBoard(groupId) {
    if (boardFeed) boardFeed.close();
    group = groupId;
    const name = boardSelect.selectedOptions[0] ? boardSelect.selectedOptions[0].textContent : "";
    boardTitle.textContent = group ? `Top 10 · ${name}` : "Top 10";
    $("me-title").textContent = group ? "My rank in the group" : "My rank";
    setStatus("board", "connecting");
    boardFeed = feed("board", "/ws/leaderboard/", onBoardEvent, group ? "&group=" + encodeURIComponent(group) : "");
    if (group) showGroupRank(); else api("GET", "/api/v1/me").then(({ resp, data }) => {
      if (resp.ok && !group) showMe(data.rank, data.total_score);
    });
  }

  async function loadGroups() {
    const { resp, data } = await api("GET", "/api/v1/groups");
    if (!resp.ok) return;
    for (const g of data) {
      const opt = document.createElement("option");
      opt.value = g.id;
      opt.textContent = g.name;
      boardSelect.append(opt);
    }
    boardSelect.hidden = data.length === 0; // nothing to choose without a group
  }

  boardSelect.addEventListener("change", () => watchBoard(boardSelect.value));
  boardSelect.hidden = true;
  loadGroups();
  watchBoard("");

  feed("me", "/ws/me/", (event) => {
    switch (event.type) {
      case "me.snapshot":
        if (!group) showMe(event.rank, event.total_score);
        break;
      case "submission.processed":
        if (group) showGroupRank(); else showMe(event.rank, event.total_score);
        logEvent(`Your submission scored ${event.score} points; total ${event.total_score}.`);
        // The score can arrive before the submission's own 202 response does.
        scored.set(event.submission_id, `Scored ${event.score} points. Total ${event.total_score}.`);
        if (scored.has(pending)) showResult(scored.get(pending), "ok");
        break;
      case "leaderboard.entered_top10":
        logEvent(`You entered the top 10 at #${event.rank}!`);
        break;
    }
  });

  // --- Answer a quiz ----------------------------------------------------------------------------
  const select = $("quiz-select"), questions = $("questions"), submit = $("submit-answers");
  let quiz = null, pending = null;
  const scored = new Map(); // submission id -> what to show once it is scored

  function showResult(text, kind) {
    const el = $("submit-result");
    el.textContent = text;
    el.className = "result " + (kind || "");
  }

  let retryTimer = null;
  function showLimits(resp) {
    const remaining = resp.headers.get("RateLimit-Remaining");
    const limit = resp.headers.get("RateLimit-Limit");
    const retryAfter = Number(resp.headers.get("Retry-After") || 0);
    if (remaining !== null) $("rl-remaining").textContent = remaining;
    if (limit !== null) $("rl-limit").textContent = " of " + limit;
    clearInterval(retryTimer);
    $("limits").classList.toggle("blocked", retryAfter > 0);
    $("rl-retry").hidden = !(retryAfter > 0);
    if (retryAfter > 0) {
      let left = retryAfter;
      $("rl-retry-seconds").textContent = left;
      retryTimer = setInterval(() => {
        left -= 1;
        $("rl-retry-seconds").textContent = Math.max(left, 0);
        if (left <= 0) {
          clearInterval(retryTimer);
          $("rl-retry").hidden = true;
          $("limits").classList.remove("blocked");
          showResult("You can submit again.", "ok");
        }
      }, 1000);
    }
  }

  async function loadQuizzes() {
    const { resp, data } = await api("GET", "/api/v1/quizzes");
    select.replaceChildren();
    const list = resp.ok && Array.isArray(data) ? data : [];
    const first = document.createElement("option");
    first.value = "";
    first.textContent = list.length ? "Choose a quiz…" : "No quizzes yet";
    select.append(first);
    for (const q of list) {
      const opt = document.createElement("option");
      opt.value = q.id;
      opt.textContent = `${q.title} (${q.question_count} questions, ${q.max_score} pts)`;
      select.append(opt);
    }
  }

  select.addEventListener("change", async () => {
    questions.replaceChildren();
    submit.disabled = true;
    quiz = null;
    if (!select.value) return;
    const { resp, data } = await api("GET", "/api/v1/quizzes/" + encodeURIComponent(select.value));
    if (!resp.ok) return showResult(data && data.error ? data.error.message : "Could not load the quiz.", "bad");
    quiz = data;
    data.questions.forEach((q, i) => {
      const set = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = `${i + 1}. ${q.text} (${q.points} pts)`;
      set.append(legend);
      q.choices.forEach((choice, c) => {
        const label = document.createElement("label");
        label.className = "choice";
        const input = document.createElement("input");
        input.type = "radio"; input.name = "q" + i; input.value = c;
        label.append(input, document.createTextNode(choice));
        set.append(label);
      });
      questions.append(set);
    });
    submit.disabled = false;
  });

  $("answer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!quiz) return;
    const answers = quiz.questions.map((_, i) => {
      const picked = document.querySelector(`input[name="q${i}"]:checked`);
      return picked ? Number(picked.value) : null;
    });
    if (answers.includes(null)) return showResult("Answer every question first.", "bad");
    submit.disabled = true;
    try {
      const { resp, data } = await api("POST", `/api/v1/quizzes/${quiz.id}/submissions`, { answers });
      showLimits(resp);
      if (resp.status === 202) {
        pending = data.id;
        showResult(scored.get(pending) || "Submitted. Scoring…", "ok");
      }
      else if (resp.status === 429) showResult(`Rate limit reached: try again in ${resp.headers.get("Retry-After")} s.`, "bad");
      else showResult(data && data.error ? data.error.message : "Submission failed (" + resp.status + ").", "bad");
    } catch (e) {
      showResult("The server is unreachable; try again.", "bad");
    } finally {
      submit.disabled = false;
    }
  });

  loadQuizzes();
})();
