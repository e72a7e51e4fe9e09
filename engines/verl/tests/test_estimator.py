"""The torch BNPO against the spec's golden vector, its special cases and guards, and the TypeScript CLI."""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor

from support import require_cli, run_cli  # noqa: E402  (support puts the package on sys.path)

import torch  # noqa: E402

from bnpo_verl.advantage import compute_bnpo_beta_outcome_advantage, prompt_ids_for  # noqa: E402
from bnpo_verl import exchange  # noqa: E402
from bnpo_verl.estimator import GUARD_ZERO_VARIANCE, RewardBatchError, bnpo_advantages  # noqa: E402

GOLDEN_GROUPS = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
GOLDEN_A = [
    [0.672980, -0.224327, -0.224327, -0.224327],
    [0.447437, 0.447437, -0.447437, -0.447437],
    [0.251525, 0.251525, 0.251525, -0.754575],
    [0, 0, 0, 0],
]


def flat(groups: list[list[float]]) -> tuple[torch.Tensor, list[int]]:
    rewards = torch.tensor([r for g in groups for r in g], dtype=torch.float64)
    index = [i for i, g in enumerate(groups) for _ in g]
    return rewards, index


class GoldenVector(unittest.TestCase):
    def test_advantages_and_fit_match_the_spec(self) -> None:
        rewards, index = flat(GOLDEN_GROUPS)
        result = bnpo_advantages(rewards, index)
        got = result.advantages.view(4, 4).tolist()
        for i in range(4):
            for j in range(4):
                self.assertAlmostEqual(got[i][j], GOLDEN_A[i][j], delta=1e-6, msg=f"A[{i}][{j}]")
        s = result.stats["reward"]
        self.assertEqual(s.p_hat, [0.25, 0.5, 0.75, 0.0])
        self.assertAlmostEqual(s.fit.mean, 0.375, delta=1e-12)
        self.assertAlmostEqual(s.fit.var, 0.1041667, delta=1e-7)
        self.assertAlmostEqual(s.fit.a, 0.46875, delta=1e-12)
        self.assertAlmostEqual(s.fit.b, 0.78125, delta=1e-12)
        self.assertAlmostEqual(s.fit.alpha, 1.15625, delta=1e-12)
        self.assertAlmostEqual(s.fit.beta, 1.2604167, delta=1e-7)
        self.assertIsNone(s.fit.guard)
        self.assertEqual(s.zero_variance_share, 0.25)

    def test_groups_are_keyed_by_uid_not_position(self) -> None:
        rewards, index = flat(GOLDEN_GROUPS)
        order = list(range(16))
        random.Random(7).shuffle(order)
        uids = [f"uid-{index[k]}" for k in order]
        shuffled = bnpo_advantages(rewards[order], uids)
        expected = bnpo_advantages(rewards, index).advantages[order]
        self.assertLess(float((shuffled.advantages - expected).abs().max()), 1e-15)


class SpecialCases(unittest.TestCase):
    def test_alpha_beta_one_is_reinforce_with_the_group_mean(self) -> None:
        # p̂ = [1, 0, 0.5]: m = 0.5, v = 0.25, k = 0, a = b = 0, α = β = 1, so A = R - p̂ in every group.
        groups = [[1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]]
        rewards, index = flat(groups)
        result = bnpo_advantages(rewards, index)
        fit = result.stats["reward"].fit
        self.assertEqual((fit.a, fit.b, fit.alpha, fit.beta), (0.0, 0.0, 1.0, 1.0))
        self.assertEqual(result.advantages.tolist(), [0.0] * 8 + [0.5, -0.5, 0.5, -0.5])

    def test_negative_moments_are_clamped_like_the_released_code(self) -> None:
        # p̂ = [1, 0]: v = 0.5 > m(1-m) = 0.25, so k < 0 and a, b < 0; the clamp gives α = β = 1.
        result = bnpo_advantages(torch.tensor([1.0, 1, 0, 0]), [0, 0, 1, 1])
        fit = result.stats["reward"].fit
        self.assertLess(fit.a, 0)
        self.assertEqual((fit.alpha, fit.beta, fit.guard), (1.0, 1.0, None))

    def test_one_group_uses_the_released_m0_v1(self) -> None:
        result = bnpo_advantages(torch.tensor([1.0, 0, 0, 1]), ["only"] * 4)
        fit = result.stats["reward"].fit
        self.assertEqual((fit.mean, fit.var, fit.alpha, fit.beta), (0.0, 1.0, 1.0, 1.0))
        self.assertEqual(result.advantages.tolist(), [0.5, -0.5, -0.5, 0.5])

    def test_constant_groups_get_exact_zero_and_groups_sum_to_zero(self) -> None:
        gen = random.Random(3)
        groups = [[gen.choice([0, 1]) for _ in range(8)] for _ in range(12)] + [[1] * 8, [0] * 8, [0.3] * 8]
        rewards, index = flat(groups)
        adv = bnpo_advantages(rewards, index).advantages.view(len(groups), 8)
        for g in (-3, -2, -1):
            self.assertEqual(adv[g].tolist(), [0.0] * 8)
        self.assertLess(float(adv.sum(dim=1).abs().max()), 1e-12)
        self.assertTrue(bool(torch.isfinite(adv).all()))

    def test_zero_variance_guard_falls_back_to_alpha_beta_one(self) -> None:
        result = bnpo_advantages(torch.tensor([1.0, 0, 0, 1, 1, 0]), [0, 0, 1, 1, 2, 2])
        fit = result.stats["reward"].fit
        self.assertEqual(fit.guard, GUARD_ZERO_VARIANCE)
        self.assertTrue(math.isnan(fit.a) and math.isnan(fit.b))
        self.assertEqual((fit.alpha, fit.beta), (1.0, 1.0))
        self.assertEqual(result.advantages.tolist(), [0.5, -0.5, -0.5, 0.5, 0.5, -0.5])

    def test_decomposition_is_the_mean_of_per_rule_advantages(self) -> None:
        gen = random.Random(11)
        acc = [[gen.choice([0, 1]) for _ in range(6)] for _ in range(5)]
        fmt = [[gen.choice([0, 1]) for _ in range(6)] for _ in range(5)]
        ra, index = flat(acc)
        rf, _ = flat(fmt)
        both = bnpo_advantages(torch.stack([ra, rf]), index, ["accuracy", "format"])
        alone = (bnpo_advantages(ra, index).advantages + bnpo_advantages(rf, index).advantages) / 2
        self.assertLess(float((both.advantages - alone).abs().max()), 1e-15)
        self.assertEqual(both.rules, ["accuracy", "format"])

    def test_bad_batches_are_refused_with_where(self) -> None:
        with self.assertRaisesRegex(RewardBatchError, r"group 'b' has 1 completion.*at least 2"):
            bnpo_advantages(torch.tensor([1.0, 0, 1]), ["a", "a", "b"])
        with self.assertRaisesRegex(RewardBatchError, r"row 2, rule 'reward': reward 2.0 is outside \[0, 1\]"):
            bnpo_advantages(torch.tensor([1.0, 0, 2, 0]), [0, 0, 1, 1])
        with self.assertRaisesRegex(RewardBatchError, "3 completions but 2 group keys"):
            bnpo_advantages(torch.tensor([1.0, 0, 1]), [0, 0])


class VerlSignature(unittest.TestCase):
    def setUp(self) -> None:
        exchange.reset()

    def test_token_level_advantages_are_masked_and_stats_recorded(self) -> None:
        rewards, index = flat(GOLDEN_GROUPS)
        length = 5
        mask = torch.zeros(16, length)
        token_rewards = torch.zeros(16, length)
        for row in range(16):
            n = 1 + row % length
            mask[row, :n] = 1
            token_rewards[row, n - 1] = float(rewards[row])
        uids = [f"u{i}" for i in index]
        adv, returns = compute_bnpo_beta_outcome_advantage(token_rewards, mask, index=uids, config=None)
        self.assertEqual(adv.shape, (16, length))
        self.assertEqual(adv.dtype, torch.float32)
        self.assertTrue(torch.equal(adv, returns))
        self.assertTrue(bool((adv[mask == 0] == 0).all()))
        per_row = adv.sum(dim=1) / mask.sum(dim=1)
        expected = torch.tensor(GOLDEN_A, dtype=torch.float32).view(16)
        self.assertLess(float((per_row - expected).abs().max()), 1e-6)
        step = exchange.take_step()
        assert step is not None
        self.assertEqual(step.prompt_ids, ["u0", "u1", "u2", "u3"])
        self.assertEqual(step.tokens, [1 + r % length for r in range(16)])


class PromptIds(unittest.TestCase):
    def scored(self, samples: list[dict]) -> exchange.ScoredBatch:
        n = len(samples)
        return exchange.ScoredBatch(rules=["r"], weights={"r": 1.0}, completions=[""] * n, samples=samples,
                                    rewards=[{"r": 0}] * n, reasons=[{"r": ""}] * n, totals=[0.0] * n,
                                    rules_file="r.json", accuracy_rule="r")

    def test_dataset_index_then_source_then_uid(self) -> None:
        one = self.scored([{"index": 3, "data_source": "a"}, {"index": 4, "data_source": "a"}])
        self.assertEqual(prompt_ids_for(["u1", "u2"], [0, 1], one), ["3", "4"])
        two_files = self.scored([{"index": 3, "data_source": "a"}, {"index": 3, "data_source": "b"}])
        self.assertEqual(prompt_ids_for(["u1", "u2"], [0, 1], two_files), ["a/3", "b/3"])
        clash = self.scored([{"index": 3, "data_source": "a"}, {"index": 3, "data_source": "a"}])
        self.assertEqual(prompt_ids_for(["u1", "u2"], [0, 1], clash), ["u1", "u2"])
        self.assertEqual(prompt_ids_for(["u1", "u2"], [0, 1], None), ["u1", "u2"])


def random_batch(gen: random.Random) -> list[list[dict[str, float]]]:
    groups = gen.randint(1, 12)
    size = gen.randint(2, 16)
    rules = ["accuracy", "format", "length"][: gen.randint(1, 3)]
    fractional = gen.random() < 0.2
    batch = []
    for _ in range(groups):
        kind = gen.random()
        group = []
        for _ in range(size):
            row = {}
            for rule in rules:
                if kind < 0.15:
                    row[rule] = 1.0  # constant groups exercise the exact-zero path and the guards
                elif kind < 0.3:
                    row[rule] = 0.0
                elif fractional:
                    row[rule] = round(gen.random(), 3)
                else:
                    row[rule] = float(gen.random() < gen.random())
            group.append(row)
        batch.append(group)
    return batch


class AgainstTypeScript(unittest.TestCase):
    """`bnpo advantages --estimator bnpo` (src/core/estimators.ts) and the torch port agree to 1e-6."""

    BATCHES = 24

    def test_random_batches(self) -> None:
        require_cli(self)
        gen = random.Random(20261126)
        worst_adv = 0.0
        worst_stat = 0.0
        guards_seen = set()
        batches = [random_batch(gen) for _ in range(self.BATCHES)]
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for b, batch in enumerate(batches):
                paths.append(os.path.join(tmp, f"batch{b}.json"))
                with open(paths[-1], "w", encoding="utf-8") as f:
                    json.dump({"groups": batch}, f)
            with ThreadPoolExecutor(max_workers=3) as pool:
                runs = list(pool.map(lambda p: run_cli(["advantages", "--input", p, "--estimator", "bnpo"]), paths))
            for b, (batch, done) in enumerate(zip(batches, runs)):
                rules = list(batch[0][0])
                self.assertEqual(done.returncode, 0, done.stderr)
                ts = json.loads(done.stdout)
                # Rows in a shuffled order with string uids: the port must group by key, not by position.
                rows = [(i, j) for i, g in enumerate(batch) for j in range(len(g))]
                gen.shuffle(rows)
                rewards = torch.tensor([[batch[i][j][r] for i, j in rows] for r in rules], dtype=torch.float64)
                result = bnpo_advantages(rewards, [f"prompt-{i}" for i, _ in rows], rules)
                for k, (i, j) in enumerate(rows):
                    worst_adv = max(worst_adv, abs(float(result.advantages[k]) - ts["advantages"][i][j]))
                order = [int(str(key).split("-")[1]) for key in result.groups]
                for rule in rules:
                    mine = result.stats[rule]
                    theirs = ts["stats"][rule]
                    self.assertEqual(mine.fit.guard, theirs["guard"], f"batch {b}, rule {rule}")
                    if mine.fit.guard:
                        guards_seen.add(mine.fit.guard)
                    for g, i in enumerate(order):
                        worst_stat = max(worst_stat, abs(mine.p_hat[g] - theirs["pHat"][i]))
                    for name, value in (("mean", mine.fit.mean), ("var", mine.fit.var), ("alpha", mine.fit.alpha), ("beta", mine.fit.beta)):
                        worst_stat = max(worst_stat, abs(value - theirs[name]))
                    for name, value in (("a", mine.fit.a), ("b", mine.fit.b)):
                        if theirs[name] is None:
                            self.assertTrue(math.isnan(value), f"batch {b}, rule {rule}: {name}")
                        else:
                            worst_stat = max(worst_stat, abs(value - theirs[name]) / max(1.0, abs(theirs[name])))
        print(f"\n  torch vs TypeScript over {self.BATCHES} random batches: max |ΔA| = {worst_adv:.3e}, "
              f"max stat difference = {worst_stat:.3e}, guards seen: {sorted(guards_seen)}")
        self.assertLess(worst_adv, 1e-6)
        self.assertLess(worst_stat, 1e-6)
        self.assertIn(GUARD_ZERO_VARIANCE, guards_seen, "the random batches should exercise the zero-variance guard")


if __name__ == "__main__":
    unittest.main()
