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

import os
from collections.abc import Mapping, Sequence
from typing import Any

from .scoring import close_servers, server_for  # noqa: F401  (the plug-in and the tests reach them here)
from . import scoring

#: Prefix of the per-rule keys in verl's reward extra info.
RULE_KEY_PREFIX = "rule_"


def rule_key(rule: str) -> str:
    return RULE_KEY_PREFIX + rule


def _setting(kwargs: Mapping[str, Any], key: str, env: str) -> str | None:
    value = kwargs.get(key)
    if value is None or value == "":
        value = os.environ.get(env) or None
    return None if value is None else str(value)


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
    samples = [sample_of(data_sources[i], ground_truths[i], infos[i]) for i in range(n)]
    batch = scoring.score(rules_file, cli, solution_strs, samples, _setting(kwargs, "accuracy_rule", "BNPO_ACCURACY_RULE"))
    out: list[dict[str, float]] = []
    for total, rewards in zip(batch.totals, batch.rewards):
        row: dict[str, float] = {"score": total}
        for name in batch.rules:
            row[rule_key(name)] = float(rewards[name])
        out.append(row)
    return out


def _register_with_verl() -> None:
    """verl imports this module through custom_reward_function.path=pkg://bnpo_verl.reward in its driver, before
    training starts, and that driver is the one process that computes advantages and logs."""
    import importlib.util

    if importlib.util.find_spec("verl") is not None:
        from . import plugin  # noqa: F401  (registers on import)


_register_with_verl()
