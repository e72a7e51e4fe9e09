"""`bnpo advantages --estimator reinforcepp` against verl's own ``compute_reinforce_plus_plus_outcome_advantage``.

verl's convention: the outcome reward sits on the last response token, returns are the reverse cumulative sum
(gamma = 1: every token of a completion carries its reward), and the whitening runs over every response token of
the batch (mean over tokens, unbiased variance, ``(x − μ)·rsqrt(var + 1e-8)``). The CLI takes the tokens per
completion as ``"lengths"`` (same shape as ``"groups"``) and gives one advantage per completion, the value verl
puts on each of its tokens. 20 random batches, to 1e-6.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from support import cli_json, require_cli  # noqa: E402

import torch  # noqa: E402
from verl.trainer.config import AlgoConfig  # noqa: E402
from verl.trainer.ppo.core_algos import compute_reinforce_plus_plus_outcome_advantage  # noqa: E402

BATCHES = 20
MAX_LENGTH = 9


def random_batch(gen: random.Random) -> dict[str, Any]:
    prompts, group = gen.randint(2, 6), gen.randint(2, 6)
    while True:
        groups = [[gen.choice([0, 1, round(gen.random(), 3)]) for _ in range(group)] for _ in range(prompts)]
        if len({r for g in groups for r in g}) > 1:  # a constant batch has no variance to whiten by
            break
    lengths = [[gen.randint(1, MAX_LENGTH) for _ in range(group)] for _ in range(prompts)]
    return {"groups": groups, "lengths": lengths}


def verl_advantages(batch: dict[str, Any]) -> list[list[float]]:
    rewards = [r for g in batch["groups"] for r in g]
    lengths = [n for g in batch["lengths"] for n in g]
    token_rewards = torch.zeros(len(rewards), MAX_LENGTH, dtype=torch.float64)
    mask = torch.zeros(len(rewards), MAX_LENGTH, dtype=torch.float64)
    for row, (reward, length) in enumerate(zip(rewards, lengths)):
        mask[row, :length] = 1
        token_rewards[row, length - 1] = reward
    advantages, _ = compute_reinforce_plus_plus_outcome_advantage(token_rewards, mask, config=AlgoConfig(gamma=1.0))
    per_row = []
    for row, length in enumerate(lengths):
        tokens = advantages[row, :length]
        assert torch.allclose(tokens, tokens[0].expand_as(tokens)), "verl gives every token of a completion one value"
        per_row.append(float(tokens[0]))
    size = len(batch["groups"][0])
    return [per_row[g * size : (g + 1) * size] for g in range(len(batch["groups"]))]


class ReinforcePlusPlus(unittest.TestCase):
    def test_twenty_random_batches_equal_verls(self) -> None:
        require_cli(self)
        gen = random.Random(2026)
        batches = [random_batch(gen) for _ in range(BATCHES)]
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, batch in enumerate(batches):
                paths.append(os.path.join(tmp, f"b{i}.json"))
                with open(paths[-1], "w", encoding="utf-8") as f:
                    json.dump(batch, f)
            with ThreadPoolExecutor(max_workers=4) as pool:
                outs = list(pool.map(lambda p: cli_json(["advantages", "--estimator", "reinforcepp", "--input", p]), paths))
        for i, (batch, out) in enumerate(zip(batches, outs)):
            want = verl_advantages(batch)
            for g, (got_group, want_group) in enumerate(zip(out["advantages"], want)):
                for j, (got, expected) in enumerate(zip(got_group, want_group)):
                    self.assertAlmostEqual(got, expected, delta=1e-6, msg=f"batch {i} A[{g}][{j}] {batch}")


if __name__ == "__main__":
    unittest.main()
