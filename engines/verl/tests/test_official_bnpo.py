"""`bnpo advantages` against the paper's official BNPO advantage, as the authors' verl recipe computes it.

``official_bnpo`` re-expresses ``compute_bnpo_outcome_advantage`` of the released recipe (spec/bnpo.md): batch
rewards rescaled to [0, 1] by min/max, p̂ per uid (0 for a group of one), m and the unbiased variance of the p̂
(m = 0, v = 1 for a single group), method-of-moments a, b, α = max(1, 1 + a/3), β = max(1, 1 + b/3),
weight = clamp(1 / Beta(α, β).pdf(p̂), 0, 1e6) with torch ≥ 2.1's xlogy at p̂ ∈ {0, 1}, A = weight · (R − p̂) on
every token; several rewards: the mean of the per-reward advantages. Where it is finite, ours must equal it; where
it returns NaN (v = 0) or raises (an all-0 or all-1 reward), our documented guard must hold instead.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import unittest
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from support import cli_json, require_cli  # noqa: E402

import torch  # noqa: E402


def official_bnpo(token_level_rewards: torch.Tensor, eos_mask: torch.Tensor, index: list[Any]) -> torch.Tensor:
    """The released recipe's semantics, one reward component."""
    response_length = token_level_rewards.shape[-1]
    scores = token_level_rewards.sum(dim=-1)
    scores = (scores - scores.min()) / (scores.max() - scores.min())
    id2score: dict[Any, list[torch.Tensor]] = defaultdict(list)
    id2mean: dict[Any, torch.Tensor] = {}
    with torch.no_grad():
        for i in range(scores.shape[0]):
            id2score[index[i]].append(scores[i])
        for idx, group in id2score.items():
            id2mean[idx] = torch.tensor(0.0, dtype=scores.dtype) if len(group) == 1 else torch.stack(group).mean()
        p = torch.stack(list(id2mean.values()))
        if len(id2mean) == 1:
            m, v = torch.tensor(0.0, dtype=scores.dtype), torch.tensor(1.0, dtype=scores.dtype)
        else:
            m, v = p.mean(), p.var()
        k = m * (1 - m) / v - 1
        alpha = torch.clamp(1 + k * m / 3, min=1)
        beta = torch.clamp(1 + k * (1 - m) / 3, min=1)
        dist = torch.distributions.Beta(alpha, beta)  # validates its arguments: NaN raises
        out = scores.clone()
        for i in range(scores.shape[0]):
            pdf = dist.log_prob(id2mean[index[i]]).exp()
            weight = torch.clamp(1 / pdf, 0, 1e6)
            out[i] = weight * (scores[i] - id2mean[index[i]])
        return out.unsqueeze(-1).tile([1, response_length]) * eos_mask


def official_decomposed(components: list[list[list[int]]]) -> list[float] | None:
    """Mean over components of the official advantage; None where the official code raises or gives NaN."""
    per_component = []
    for groups in components:
        rewards = torch.tensor([r for g in groups for r in g], dtype=torch.float64)
        index = [f"uid{g}" for g, group in enumerate(groups) for _ in group]
        token = torch.zeros(len(rewards), 2, dtype=torch.float64)
        token[:, -1] = rewards
        try:
            a = official_bnpo(token, torch.ones_like(token), index)[:, 0]
        except ValueError:
            return None
        if not bool(torch.isfinite(a).all()):
            return None
        per_component.append(a)
    return (sum(per_component) / len(per_component)).tolist()


def random_components(gen: random.Random) -> list[list[list[int]]]:
    prompts, size, rules = gen.randint(1, 7), gen.randint(2, 8), gen.choice([1, 1, 2])
    return [[[int(gen.random() < gen.random()) for _ in range(size)] for _ in range(prompts)] for _ in range(rules)]


def cli_input(components: list[list[list[int]]]) -> dict[str, Any]:
    if len(components) == 1:
        return {"groups": components[0]}
    names = [f"r{k}" for k in range(len(components))]
    return {"groups": [[{n: c[g][j] for n, c in zip(names, components)} for j in range(len(components[0][g]))]
                       for g in range(len(components[0]))]}


class AgainstTheOfficialFormula(unittest.TestCase):
    def run_cli(self, batches: list[list[list[list[int]]]]) -> list[Any]:
        require_cli(self)
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, components in enumerate(batches):
                paths.append(os.path.join(tmp, f"b{i}.json"))
                with open(paths[-1], "w", encoding="utf-8") as f:
                    json.dump(cli_input(components), f)
            with ThreadPoolExecutor(max_workers=4) as pool:
                return list(pool.map(lambda p: cli_json(["advantages", "--estimator", "bnpo", "--input", p]), paths))

    def test_random_batches_equal_where_finite_and_follow_the_guard_elsewhere(self) -> None:
        gen = random.Random(2506)
        batches = [random_components(gen) for _ in range(60)]
        finite = guarded = 0
        for i, (components, out) in enumerate(zip(batches, self.run_cli(batches))):
            ours = [a for group in out["advantages"] for a in group]
            official = official_decomposed(components)
            if official is not None:
                finite += 1
                for j, (got, want) in enumerate(zip(ours, official)):
                    self.assertAlmostEqual(got, want, delta=1e-9 * max(1.0, abs(want)), msg=f"batch {i} row {j}: {components}")
                continue
            guarded += 1
            self.assert_guard(components, ours, out["stats"], f"batch {i}: {components}")
        self.assertGreater(finite, 30, "most random batches must be compared number for number")
        self.assertGreater(guarded, 0, "some random batches must reach the guards")

    def assert_guard(self, components: list[list[list[int]]], ours: list[float], stats: dict[str, Any], where: str) -> None:
        """Per component: all-0/all-1 rewards give exactly 0; v = 0 falls back to α = β = 1 (A = R − p̂), flagged."""
        expected = [0.0] * len(ours)
        for k, groups in enumerate(components):
            flat = [r for g in groups for r in g]
            stat = stats["reward" if len(components) == 1 else f"r{k}"]
            single = official_decomposed([groups])
            if len(set(flat)) == 1:
                part = [0.0] * len(flat)
            elif single is None:
                self.assertEqual((stat["alpha"], stat["beta"], stat["guard"]), (1, 1, "zeroVariance"), where)
                part = [r - sum(g) / len(g) for g in groups for r in g]
            else:
                part = single
            expected = [e + p / len(components) for e, p in zip(expected, part)]
        for j, (got, want) in enumerate(zip(ours, expected)):
            self.assertTrue(math.isfinite(got), f"{where} row {j}")
            self.assertAlmostEqual(got, want, delta=1e-9 * max(1.0, abs(want)), msg=f"{where} row {j}")

    def test_the_official_code_does_fail_where_we_guard(self) -> None:
        # v = 0 with mixed groups: NaN; an all-0 batch: Beta(NaN, NaN) raises.
        self.assertIsNone(official_decomposed([[[1, 0], [0, 1]]]))
        with self.assertRaises(ValueError):
            token = torch.zeros(4, 2, dtype=torch.float64)
            official_bnpo(token, torch.ones_like(token), ["a", "a", "b", "b"])
        out = self.run_cli([[[[1, 0], [0, 1]]], [[[0, 0], [0, 0]]]])
        self.assertEqual(out[0]["advantages"], [[0.5, -0.5], [-0.5, 0.5]])
        self.assertEqual(out[0]["stats"]["reward"]["guard"], "zeroVariance")
        self.assertEqual(out[1]["advantages"], [[0, 0], [0, 0]])


if __name__ == "__main__":
    unittest.main()
