"""The per-user record registry: every kind of record held about a user, and what happens to it.

Erasure, bans, privacy and the inactive sweep all read this one list, so a new kind of record
(a group membership, a league place) is handled by each of them once it registers here, from its
app's AppConfig.ready, and by none of them otherwise; tests/test_keyspace_audit.py fails while
a documented key naming a user id ({uid} in a keys.py keyspace table) belongs to no kind.

A kind says:
- `documented`: the keyspace-table rows (key templates) that hold it;
- `erase(user_id)`: delete it, in bounded steps (no command touching more than ERASE_BATCH
  items), idempotently: a crashed erasure is finished by running every eraser again;
- `boards(now)`: for board kinds, the board keys a user may stand on at `now`, with the
  epoch second each may expire at (None: never). A ban and a hidden profile take the user off
  the boards whose kind has `ban` / `hide` set, and the sweep off those with `sweep` set;
- `boards_of(user_ids, now)`: the same, for board kinds whose boards depend on the user (the
  per-quiz boards a user stands on), for a batch of users at once (one pipelined read): one
  list per user, in order;
- `gone(board_keys)`: of these board keys, those gone for good (a deleted quiz's board): a
  return drops their parked entries instead of bringing the board back;
- `export(user_id)`: for kinds a person can read, the document section it fills;
- `on_hide(user_id)`: what else `public: false` removes (the board events that name the user).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

ERASE_BATCH = 100  # items per command while erasing: each stays well under a millisecond

BoardSpan = tuple[str, int | None]  # (board key, EXPIREAT or None)


@dataclass(frozen=True)
class RecordKind:
    """One kind of per-user record and how each lifecycle operation treats it."""

    name: str
    owner: str
    documented: tuple[str, ...]
    erase: Callable[[str], None] | None = None
    order: int = 50  # erasers run in this order (the profile and name last)
    boards: Callable[[int], list[BoardSpan]] | None = None
    boards_of: Callable[[list[str], int], list[list[BoardSpan]]] | None = None  # per user (the quiz boards)
    gone: Callable[[list[str]], list[str]] | None = None  # of these board keys, the ones gone for good
    ban: bool = False
    hide: bool = False
    sweep: bool = False
    export: Callable[[str], tuple[str, object]] | None = None
    on_hide: Callable[[str], None] | None = None  # more to do when the user hides (past events naming them)
    # Per-user boards (a group's, which no `boards(now)` list can name): what to do once a ban or
    # the sweep took the user off the listed boards (`ban` / `sweep` set), and once an unban ends.
    on_leave: Callable[[str, str], None] | None = None  # (user_id, purpose)
    on_return: Callable[[str], None] | None = None


_KINDS: dict[str, RecordKind] = {}


def record_kind_register(*kinds: RecordKind) -> None:
    """Register kinds of per-user records (from an AppConfig.ready)."""
    for kind in kinds:
        _KINDS[kind.name] = kind


def record_kinds() -> list[RecordKind]:
    """Every registered kind, in erasure order."""
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.name))


def documented_templates() -> set[str]:
    """Every keyspace-table key template some kind covers."""
    return {template for kind in _KINDS.values() for template in kind.documented}


def user_boards(*, now: int, purpose: str, user_id: str | None = None) -> list[BoardSpan]:
    """The boards a user may stand on at `now` that `purpose` ("ban", "hide", "sweep") takes them off.

    Without `user_id`, only the boards every user shares (kinds' `boards`); with it, also that
    user's own (kinds' `boards_of`).
    """
    spans: list[BoardSpan] = []
    for kind in record_kinds():
        if not getattr(kind, purpose):
            continue
        if kind.boards is not None:
            spans += kind.boards(now)
        if kind.boards_of is not None and user_id is not None:
            spans += kind.boards_of([user_id], now)[0]
    return spans


def boards_gone(board_keys: list[str]) -> set[str]:
    """Of these board keys, those some kind says are gone for good (never to be written again)."""
    gone: set[str] = set()
    for kind in record_kinds():
        if kind.gone is not None and board_keys:
            gone.update(kind.gone(board_keys))
    return gone


def users_own_boards(*, user_ids: list[str], now: int, purpose: str) -> list[list[str]]:
    """Each user's own boards (kinds' `boards_of`) that `purpose` takes them off, in order."""
    own: list[list[str]] = [[] for _ in user_ids]
    for kind in record_kinds():
        if kind.boards_of is not None and getattr(kind, purpose):
            for boards, spans in zip(own, kind.boards_of(user_ids, now)):
                boards += [board for board, _ in spans]
    return own


def keys_delete(client, keys: Iterable[str]) -> int:
    """DEL these keys ERASE_BATCH at a time (UNLINK: a big one is freed off the main thread)."""
    batch: list[str] = []
    deleted = 0
    for key in keys:
        batch.append(key)
        if len(batch) >= ERASE_BATCH:
            deleted += client.unlink(*batch)
            batch = []
    if batch:
        deleted += client.unlink(*batch)
    return deleted


def zset_members_chunks(client, key: str) -> Iterable[list[str]]:
    """A zset's members, ERASE_BATCH at a time, lowest first (for a zset drained as it is read)."""
    start = 0
    while members := client.zrange(key, start, start + ERASE_BATCH - 1):
        yield members
        start += len(members)


def user_export(*, user_id: str) -> dict:
    """Everything the registered kinds hold about the user, one section each (groups, leagues: [] until they exist)."""
    document: dict[str, object] = {"profile": {}, "sessions": [], "submissions": [], "groups": [], "leagues": []}
    for kind in record_kinds():
        if kind.export is not None:
            section, value = kind.export(user_id)
            document[section] = value
    return document


def user_hidden(*, user_id: str) -> None:
    """Run every kind's `on_hide` for a user who just left the public boards."""
    for kind in record_kinds():
        if kind.on_hide is not None:
            kind.on_hide(user_id)


def user_left_boards(*, user_id: str, purpose: str) -> None:
    """Run every `purpose` ("ban", "sweep") kind's `on_leave` for a user just taken off the boards."""
    for kind in record_kinds():
        if kind.on_leave is not None and getattr(kind, purpose):
            kind.on_leave(user_id, purpose)


def user_returned(*, user_id: str) -> None:
    """Run every kind's `on_return` for a user whose ban just ended."""
    for kind in record_kinds():
        if kind.on_return is not None:
            kind.on_return(user_id)
