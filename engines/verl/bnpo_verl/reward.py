"""verl's custom reward function, backed by the studio's rule engine.

Use with verl's batch reward manager, which calls it once per batch::

    reward_model.reward_manager=batch
    custom_reward_function.path=pkg://bnpo_verl.reward
    custom_reward_function.name=compute_score

Configuration (environment, e.g. Ray's runtime_env ``env_vars``; or ``custom_reward_function.reward_kwargs``):
    BNPO_RULES_FILE / rules_file      the ``*.rewards.json`` file (required)
    BNPO_CLI / cli                    the studio CLI (``dist/cli.js`` or a ``bnpo`` executable; default ``bnpo``)
    BNPO_ACCURACY_RULE / accuracy_rule the rule that means "correct" (default: the first ``answer`` rule)

Each completion is scored against the sample ``{"answer": ground_truth, "data_source": ..., **extra_info}``.
The result per completion is ``{"score": weighted total, "rule_<name>": 0|1 for every rule}``; verl puts the
``rule_*`` values into the batch as reward extra info.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from . import exchange
from .rules_client import RulesServer

#: Prefix of the per-rule keys in verl's reward extra info.
RULE_KEY_PREFIX = "rule_"

_servers: dict[tuple[str, str], RulesServer] = {}
_servers_lock = threading.Lock()


def rule_key(rule: str) -> str:
    return RULE_KEY_PREFIX + rule


def _setting(kwargs: Mapping[str, Any], key: str, env: str) -> str | None:
    value = kwargs.get(key)
    if value is None or value == "":
        value = os.environ.get(env) or None
    return None if value is None else str(value)


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


def sample_of(data_source: Any, ground_truth: Any, extra_info: Mapping[str, Any] | None) -> dict[str, Any]:
    sample: dict[str, Any] = {}
    for key, value in (extra_info or {}).items():
        if key != "rollout_reward_scores":
            sample[str(key)] = value
    sample["answer"] = ground_truth
    sample["data_source"] = data_source
    return sample


def compute_score(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    """verl batch reward function: one rules-server request for the whole batch."""
    rules_file = _setting(kwargs, "rules_file", "BNPO_RULES_FILE")
    if rules_file is None:
        raise ValueError("no reward rules: set BNPO_RULES_FILE (or custom_reward_function.reward_kwargs.rules_file)")
    cli = _setting(kwargs, "cli", "BNPO_CLI")
    n = len(solution_strs)
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    if not (len(data_sources) == len(ground_truths) == len(infos) == n):
        raise ValueError(
            f"batch fields disagree in length: {n} completions, {len(data_sources)} data sources, "
            f"{len(ground_truths)} ground truths, {len(infos)} extra infos"
        )
    server = server_for(rules_file, cli)
    samples = [sample_of(data_sources[i], ground_truths[i], infos[i]) for i in range(n)]
    scored = server.score(list(solution_strs), samples)
    exchange.record_scored(
        exchange.ScoredBatch(
            rules=list(server.rules),
            weights=dict(server.weights),
            completions=list(solution_strs),
            samples=samples,
            rewards=[s.rewards for s in scored],
            reasons=[s.reasons for s in scored],
            totals=[s.total for s in scored],
            rules_file=rules_file,
            accuracy_rule=accuracy_rule(rules_file, server.rules, _setting(kwargs, "accuracy_rule", "BNPO_ACCURACY_RULE")),
        )
    )
    out: list[dict[str, float]] = []
    for s in scored:
        row: dict[str, float] = {"score": s.total}
        for name in server.rules:
            row[rule_key(name)] = float(s.rewards[name])
        out.append(row)
    return out


def _register_with_verl() -> None:
    """verl imports this module through custom_reward_function.path=pkg://bnpo_verl.reward in its driver, before
    training starts, and that driver is the one process that computes advantages and logs."""
    import importlib.util

    if importlib.util.find_spec("verl") is not None:
        from . import plugin  # noqa: F401  (registers on import)


_register_with_verl()
