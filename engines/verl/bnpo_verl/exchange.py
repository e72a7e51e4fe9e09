"""Hand-offs between the three plug-in points inside verl's driver process.

verl calls them separately and passes none of them what the next one needs: the reward function sees texts but
not the uid; the advantage estimator sees uids and the summed reward tensor but not the per-rule rewards (which
verl keeps in ``non_tensor_batch`` as reward extra info); the tracking logger sees only the step's metrics.
All three run in verl's driver (the TaskRunner actor) when the reward is computed there
(``reward_model.use_reward_loop=False``, ``reward_model.launch_reward_fn_async=False``, which the studio's
generated command sets), and verl computes the reward and the advantages on the same batch in the same row
order. So:

- the reward function records every scored batch here (``ScoredBatch``);
- the estimator claims the training batch by matching its row count and per-row totals, and records the
  step's statistics (``StepStats``);
- the sink takes the step's statistics when verl logs the step's metrics, and treats scored batches that no
  estimator claimed as validation batches.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import torch

from .estimator import BnpoResult


@dataclass
class ScoredBatch:
    """One call of the reward function: row i's completion, sample, per-rule rewards and weighted total."""

    rules: list[str]
    weights: dict[str, float]
    completions: list[str]
    samples: list[dict[str, Any]]
    rewards: list[dict[str, int]]
    reasons: list[dict[str, str]]
    totals: list[float]
    rules_file: str
    accuracy_rule: str
    claimed: bool = False

    def rule_matrix(self) -> torch.Tensor:
        """[K, B] float64 rewards in rule order."""
        return torch.tensor([[row[name] for row in self.rewards] for name in self.rules], dtype=torch.float64)


@dataclass
class StepStats:
    """What the estimator computed for one training step, for the sink."""

    result: BnpoResult
    prompt_ids: list[str]
    tokens: list[int]
    batch: ScoredBatch | None
    advantage_ms: float
    extra: dict[str, Any] = field(default_factory=dict)
    # per completion: cut off at the cap without an end token; None where the engine does not say (verl)
    truncated: list[bool] | None = None


_lock = threading.Lock()
_scored: deque[ScoredBatch] = deque(maxlen=8)
_steps: deque[StepStats] = deque(maxlen=4)


def record_scored(batch: ScoredBatch) -> None:
    with _lock:
        _scored.append(batch)


def claim_scored(totals: torch.Tensor, atol: float = 1e-4) -> ScoredBatch | None:
    """The newest unclaimed scored batch whose totals equal ``totals`` row for row (then marked claimed)."""
    t = totals.detach().to(torch.float64).cpu()
    with _lock:
        for batch in reversed(_scored):
            if batch.claimed or len(batch.totals) != t.numel():
                continue
            if torch.allclose(torch.tensor(batch.totals, dtype=torch.float64), t, rtol=0, atol=atol):
                batch.claimed = True
                return batch
    return None


def claim(batch: ScoredBatch) -> None:
    """Marks a batch as a training batch when the caller knows it (TRL's trainer holds its scored batch)."""
    with _lock:
        batch.claimed = True


def take_unclaimed() -> list[ScoredBatch]:
    """Scored batches no estimator claimed (validation), oldest first; they are removed."""
    with _lock:
        out = [b for b in _scored if not b.claimed]
        kept = [b for b in _scored if b.claimed]
        _scored.clear()
        _scored.extend(kept[-2:])
        return out


def record_step(stats: StepStats) -> None:
    with _lock:
        _steps.append(stats)


def take_step() -> StepStats | None:
    """The newest step's statistics (older unlogged ones are dropped), or None when the estimator did not run."""
    with _lock:
        if not _steps:
            return None
        newest = _steps[-1]
        _steps.clear()
        return newest


def reset() -> None:
    """For tests: forget everything."""
    with _lock:
        _scored.clear()
        _steps.clear()
