"""This process among the replicas: the owner ID of the leases it takes, and what it holds.

Guarantees across replicas live in the database (conditional UPDATEs, leases). What is
kept here is only this process's own bookkeeping: which leases to renew, and locks that
keep two tasks of this process from doing the same work at once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def new_replica_id() -> str:
    """Host, process and a random part: unique even when a PID is reused after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Replica:
    """The lease owner ID of this process, the leases it renews, and its per-incident locks."""

    id: str = field(default_factory=new_replica_id)
    setting_up: set[str] = field(default_factory=set)  # incidents whose setup lease we hold
    posting: set[int] = field(default_factory=set)  # outbox posts being delivered here
    # Display refreshes of one incident run one at a time, so an older render never wins.
    display_locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # People a waiting redraw must invite; whichever redraw runs next takes them all.
    owed_invites: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    setup_locks: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # Alerts are routed one at a time here, so a group decides in the order alerts came.
    alert_routing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # App Home: who opened it here (user → when, by the clock), when each was last published
    # (loop time), and the one republish waiting per user; see bot/services/home.py.
    home_seen: dict[str, datetime] = field(default_factory=dict)
    home_published: dict[str, float] = field(default_factory=dict)
    home_pending: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    home_debounce: float = 5.0  # seconds between two publishes of one user's Home
    home_event_mark: int | None = None  # the newest timeline event the Homes here reflect
