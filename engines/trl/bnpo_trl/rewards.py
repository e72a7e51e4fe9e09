"""The studio's reward rules as TRL reward functions, scored by ``bnpo rules serve`` (bnpo_verl.scoring).

TRL calls every reward function once per batch with the same ``prompts``/``completions`` and the dataset's other
columns as keyword lists, and takes one number per completion from each. A rules file with K rules becomes K
reward functions named after the rules (TRL logs ``rewards/<name>/mean``, and BnpoGRPOTrainer decomposes the
advantage over them); the first asks the rules server for the whole batch and the others reuse that answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bnpo_verl import exchange, scoring

#: Keyword arguments TRL adds to the dataset's columns; they are not part of the sample a rule sees.
TRL_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})

RewardFunction = Callable[..., list[float]]


def text_of(item: Any) -> str:
    """A completion or prompt as text: TRL passes strings, or chat messages for conversational datasets."""
    if isinstance(item, str):
        return item
    if isinstance(item, Sequence) and item and isinstance(item[-1], Mapping):
        return str(item[-1].get("content", ""))
    return str(item)


def samples_of(prompts: Sequence[Any], columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    for i, prompt in enumerate(prompts):
        sample = {key: values[i] for key, values in columns.items() if key not in TRL_KWARGS}
        sample.setdefault("prompt", text_of(prompt))
        samples.append(sample)
    return samples


class BatchScorer:
    """Scores a batch once for all K reward functions; the newest batch is kept for the trainer's advantage."""

    def __init__(self, rules_file: str, cli: str | None, accuracy_rule: str | None) -> None:
        self.rules_file = rules_file
        self.cli = cli
        self.accuracy_rule = accuracy_rule
        self.rules = list(scoring.server_for(rules_file, cli).rules)
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self.last: exchange.ScoredBatch | None = None

    def batch(self, prompts: Sequence[Any], completions: Sequence[Any], columns: Mapping[str, Sequence[Any]]) -> exchange.ScoredBatch:
        texts = [text_of(c) for c in completions]
        samples = samples_of(prompts, columns)
        key = (tuple(texts), repr(samples))
        with self._lock:
            if self.last is None or self._key != key:
                self.last = scoring.score(self.rules_file, self.cli, texts, samples, self.accuracy_rule)
                self._key = key
            return self.last


def rule_reward_functions(rules_file: str, cli: str | None = None, accuracy_rule: str | None = None) -> list[RewardFunction]:
    """One TRL reward function per rule of ``rules_file`` (0 or 1 per completion), in the file's rule order.

    ``cli`` is the studio CLI (``dist/cli.js`` or a ``bnpo`` executable; default ``bnpo`` on PATH).
    """
    scorer = BatchScorer(rules_file, cli, accuracy_rule)

    def for_rule(rule: str) -> RewardFunction:
        def reward(prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
            batch = scorer.batch(prompts, completions, columns)
            return [float(row[rule]) for row in batch.rewards]

        reward.__name__ = rule
        reward.__qualname__ = rule
        reward.bnpo_scorer = scorer  # type: ignore[attr-defined]  (the trainer finds the per-rule batch here)
        return reward

    return [for_rule(rule) for rule in scorer.rules]


def scorer_of(reward_funcs: Sequence[Any]) -> BatchScorer | None:
    """The rules scorer behind a trainer's reward functions, when they all come from ``rule_reward_functions``."""
    scorers = {id(getattr(f, "bnpo_scorer", None)): getattr(f, "bnpo_scorer", None) for f in reward_funcs}
    if len(scorers) != 1:
        return None
    scorer = next(iter(scorers.values()))
    if scorer is None or [getattr(f, "__name__", "") for f in reward_funcs] != scorer.rules:
        return None
    return scorer
