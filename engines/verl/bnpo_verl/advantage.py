"""verl's advantage-estimator signature around the torch BNPO (no verl import, so it is tested without verl).

verl 0.7.0's ``compute_advantage`` calls a registered estimator with ``token_level_rewards``, ``response_mask``,
``config`` and, when present, ``index`` (the uid of each row's prompt) and ``reward_baselines``; it expects
``(advantages, returns)`` shaped like ``token_level_rewards``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import torch

from . import exchange
from .estimator import bnpo_advantages


def prompt_ids_for(groups: Sequence[Any], group_rows: Sequence[int], batch: exchange.ScoredBatch | None) -> list[str]:
    """Stable prompt ids for groups.jsonl: the dataset row index (``extra_info.index``); ``<data_source>/<index>``
    when several training files share indices; verl's uid when neither is unique within the step."""
    def index_of(g: int) -> Any:
        sample = batch.samples[group_rows[g]] if batch is not None else {}
        index = sample.get("index")
        return index.item() if hasattr(index, "item") else index

    indices = [index_of(g) for g in range(len(groups))]
    if batch is not None and all(isinstance(i, (int, str)) for i in indices):
        plain = [str(i) for i in indices]
        if len(set(plain)) == len(plain):
            return plain
        sourced = [f"{batch.samples[group_rows[g]].get('data_source')}/{plain[g]}" for g in range(len(groups))]
        if len(set(sourced)) == len(sourced):
            return sourced
    return [str(key) for key in groups]


def verl_scores_in_reward_loop() -> bool:
    """verl >= 0.8 always scores rewards in its reward-loop workers, so the per-rule rewards never reach this process.

    Read from the verl that imported the plug-in (the estimator runs inside it); without verl, as in unit tests,
    the 0.7 behaviour applies."""
    version = getattr(sys.modules.get("verl"), "__version__", "0.7")
    major, minor = (int(part) for part in str(version).split(".")[:2])
    return (major, minor) >= (0, 8)


_combined_reward_warned = False


def combined_reward(scores: torch.Tensor) -> torch.Tensor:
    """The fallback on verl >= 0.8: the combined reward as the one component, with a one-line warning (once)."""
    global _combined_reward_warned
    if not _combined_reward_warned:
        _combined_reward_warned = True
        print(
            "bnpo_beta: verl >= 0.8 scores rewards in its reward loop, so the per-rule rewards do not reach the "
            "estimator; training on the combined reward as one component (no per-rule decomposition)",
            file=sys.stderr,
            flush=True,
        )
    low, high = float(scores.min()), float(scores.max())
    if low < 0 or high > 1:
        raise RuntimeError(
            f"bnpo_beta: the combined reward spans [{low:g}, {high:g}], outside [0, 1]; on verl >= 0.8 the Beta fit "
            "sees only the combined reward: make the rule weights sum to at most 1, or run on verl 0.7 for the "
            "per-rule decomposition"
        )
    return scores.to(torch.float64).cpu().unsqueeze(0)


def compute_bnpo_beta_outcome_advantage(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    index: Any = None,
    config: Any = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """verl advantage estimator ``bnpo_beta`` (outcome rewards, grouped by ``index`` = verl's uid).

    Returns (advantages, returns), both [bs, response_length]: every token of a completion gets its scalar A.
    With the studio's reward function in the same process, each reward rule is its own component
    (decomposition); otherwise the summed reward is the single component and must lie in [0, 1]. On verl 0.7
    with the studio's rules a missing decomposition is a misconfiguration and is refused; on verl >= 0.8, where it
    cannot be had, the combined reward is used with a warning.
    """
    del config, kwargs  # BNPO has no settings beyond the spec; verl passes these to every estimator
    if index is None:
        raise ValueError("bnpo_beta needs verl's uid grouping (index); got none")
    started = time.perf_counter()
    scores = token_level_rewards.detach().sum(dim=-1)
    batch = exchange.claim_scored(scores)
    if batch is not None:
        rewards = batch.rule_matrix()
        rules: list[str] = list(batch.rules)
    elif os.environ.get("BNPO_RULES_FILE") and verl_scores_in_reward_loop():
        rewards = combined_reward(scores)
        rules = ["reward"]
    elif os.environ.get("BNPO_RULES_FILE"):
        raise RuntimeError(
            "bnpo_beta: the per-rule rewards of this batch were not scored in this process. Compute the reward in "
            "verl's driver: reward_model.use_reward_loop=False reward_model.launch_reward_fn_async=False "
            "reward_model.reward_manager=batch, and keep algorithm.use_kl_in_reward=False"
        )
    else:
        rewards = scores.to(torch.float64).cpu().unsqueeze(0)
        rules = ["reward"]
    keys = [k.item() if hasattr(k, "item") else k for k in list(index)]
    result = bnpo_advantages(rewards, keys, rules)
    mask = response_mask.to(token_level_rewards.dtype)
    per_row = result.advantages.to(dtype=token_level_rewards.dtype, device=token_level_rewards.device)
    advantages = per_row.unsqueeze(-1) * mask
    exchange.record_step(
        exchange.StepStats(
            result=result,
            prompt_ids=prompt_ids_for(result.groups, result.first_rows.tolist(), batch),
            tokens=[int(n) for n in response_mask.detach().sum(dim=-1).tolist()],
            batch=batch,
            advantage_ms=(time.perf_counter() - started) * 1000,
        )
    )
    return advantages, advantages
