"""Scoring completions with the studio's rule engine (``bnpo rules serve``), shared by every engine's glue.

One long-lived rules server per (rules file, CLI); each scored batch is recorded in ``exchange`` so the advantage
estimator can decompose the reward per rule and the sink can write samples. No engine is imported here: verl's
reward function (``bnpo_verl.reward``) and TRL's reward functions (``bnpo_trl.rewards``) both call ``score``.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from . import exchange
from .rules_client import RulesServer

_servers: dict[tuple[str, str], RulesServer] = {}
_servers_lock = threading.Lock()


def server_for(rules_file: str, cli: str | None) -> RulesServer:
    """The long-lived server for this rules file (started on first use, ended at interpreter exit)."""
    key = (os.path.abspath(rules_file), cli or "")
    with _servers_lock:
        server = _servers.get(key)
        if server is None or server._proc.poll() is not None:  # noqa: SLF001 - restart a server that died
            server = RulesServer(rules_file, cli=cli)
            _servers[key] = server
        return server


@atexit.register
def close_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


def accuracy_rule(rules_file: str, rules: Sequence[str], override: str | None = None) -> str:
    """The rule that counts as "correct": the override, else the first reward rule of kind ``answer``."""
    if override:
        if override not in rules:
            raise ValueError(f"accuracy rule '{override}' is not one of the reward rules {list(rules)} of {rules_file}")
        return override
    try:
        with open(rules_file, encoding="utf-8") as f:
            parsed = json.load(f)
        for rule in parsed.get("rules", []):
            if rule.get("kind") == "answer" and rule.get("name") in rules:
                return str(rule["name"])
    except (OSError, ValueError, AttributeError):
        pass  # a file with comments: the rules server has validated it; fall back to the first rule
    return rules[0]


def score(
    rules_file: str, cli: str | None, completions: Sequence[str], samples: Sequence[dict[str, Any]],
    accuracy_override: str | None = None,
) -> exchange.ScoredBatch:
    """One rules-server request for the whole batch, recorded in ``exchange`` and returned."""
    server = server_for(rules_file, cli)
    scored = server.score(list(completions), list(samples))
    batch = exchange.ScoredBatch(
        rules=list(server.rules),
        weights=dict(server.weights),
        completions=list(completions),
        samples=list(samples),
        rewards=[s.rewards for s in scored],
        reasons=[s.reasons for s in scored],
        totals=[s.total for s in scored],
        rules_file=rules_file,
        accuracy_rule=accuracy_rule(rules_file, server.rules, accuracy_override),
    )
    exchange.record_scored(batch)
    return batch
