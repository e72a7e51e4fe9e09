"""The rules server round trip from Python: the real `bnpo rules serve` child process, batched."""

from __future__ import annotations

import os
import tempfile
import unittest

from support import CLI, MATH_RULES, RULES_DIR, node, require_cli  # noqa: E402

from bnpo_verl import exchange, reward  # noqa: E402
from bnpo_verl.rules_client import RulesServer, RulesServerError, default_command  # noqa: E402

ADDITION = os.path.join(RULES_DIR, "addition.rewards.json")


class RoundTrip(unittest.TestCase):
    def setUp(self) -> None:
        require_cli(self)

    def test_a_batch_is_scored_per_rule_in_order(self) -> None:
        with RulesServer(ADDITION, command=[node(), CLI, "rules", "serve", "--rules", ADDITION]) as server:
            self.assertEqual(server.rules, ["correct", "well_formed"])
            self.assertEqual(server.weights, {"correct": 1.0, "well_formed": 1.0})
            results = server.score(["579", "the sum is 579", "578"], [{"answer": "579"}] * 3)
            self.assertEqual([r.rewards for r in results], [
                {"correct": 1, "well_formed": 1},
                {"correct": 1, "well_formed": 0},
                {"correct": 0, "well_formed": 1},
            ])
            self.assertEqual([r.total for r in results], [2.0, 1.0, 1.0])
            self.assertTrue(all(set(r.reasons) == {"correct", "well_formed"} for r in results))
            # The same process answers the next request: it is long-lived.
            again = server.score(["12"], [{"answer": 12}])
            self.assertEqual(again[0].rewards, {"correct": 1, "well_formed": 1})
            pid = server._proc.pid  # noqa: SLF001
            self.assertEqual(server._proc.pid, pid)  # noqa: SLF001
        self.assertIsNotNone(server._proc.poll())  # noqa: SLF001 - closed with the context

    def test_a_broken_rules_file_fails_with_the_servers_message(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.rewards.json")
            with open(bad, "w", encoding="utf-8") as f:
                f.write('{"rules": [{"name": "x", "kind": "answer"}]}\n')
            with self.assertRaises(RulesServerError) as caught:
                RulesServer(bad, command=[node(), CLI, "rules", "serve", "--rules", bad])
            self.assertIn("exited with status 2", str(caught.exception))
            self.assertIn("bad.rewards.json", str(caught.exception))

    def test_a_missing_program_is_reported(self) -> None:
        with self.assertRaisesRegex(RulesServerError, "cannot start the rules server"):
            RulesServer(ADDITION, command=["/nonexistent/bnpo", "rules", "serve"])

    def test_default_command_runs_a_js_bundle_with_node(self) -> None:
        self.assertEqual(default_command("r.json", "/x/dist/cli.js")[1:], ["/x/dist/cli.js", "rules", "serve", "--rules", "r.json"])
        self.assertEqual(default_command("r.json", "bnpo"), ["bnpo", "rules", "serve", "--rules", "r.json"])


class RewardFunction(unittest.TestCase):
    """verl's batch reward manager calls compute_score(data_sources, solution_strs, ground_truths, extra_infos)."""

    def setUp(self) -> None:
        require_cli(self)
        exchange.reset()
        self.env = {k: os.environ.get(k) for k in ("BNPO_RULES_FILE", "BNPO_CLI")}
        os.environ["BNPO_RULES_FILE"] = MATH_RULES
        os.environ["BNPO_CLI"] = CLI

    def tearDown(self) -> None:
        reward.close_servers()
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def test_per_rule_rewards_go_to_reward_extra_info_and_the_exchange(self) -> None:
        out = reward.compute_score(
            data_sources=["math"] * 3,
            solution_strs=["so \\boxed{\\frac{1}{2}}", "the answer is 3", "\\boxed{4}"],
            ground_truths=["\\frac{1}{2}", "3", "5"],
            extra_infos=[{"index": 7, "split": "train"}, {"index": 7}, {"index": 8}],
        )
        self.assertEqual(out, [
            {"score": 2.0, "rule_accuracy": 1.0, "rule_format": 1.0},
            {"score": 0.0, "rule_accuracy": 0.0, "rule_format": 0.0},
            {"score": 1.0, "rule_accuracy": 0.0, "rule_format": 1.0},
        ])
        import torch

        scored = exchange.claim_scored(torch.tensor([2.0, 0.0, 1.0]))
        assert scored is not None
        self.assertEqual(scored.rules, ["accuracy", "format"])
        self.assertEqual(scored.accuracy_rule, "accuracy")
        self.assertEqual(scored.samples[0], {"index": 7, "split": "train", "answer": "\\frac{1}{2}", "data_source": "math"})
        self.assertEqual(scored.rule_matrix().tolist(), [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
        # Claimed once: the estimator of the next step cannot take it again.
        self.assertIsNone(exchange.claim_scored(torch.tensor([2.0, 0.0, 1.0])))

    def test_one_server_serves_every_batch(self) -> None:
        reward.compute_score(["m"], ["\\boxed{1}"], ["1"], [{}])
        first = reward.server_for(MATH_RULES, CLI)
        reward.compute_score(["m"], ["\\boxed{2}"], ["1"], [{}])
        self.assertIs(reward.server_for(MATH_RULES, CLI), first)

    def test_without_rules_it_says_what_to_set(self) -> None:
        os.environ.pop("BNPO_RULES_FILE")
        with self.assertRaisesRegex(ValueError, "BNPO_RULES_FILE"):
            reward.compute_score(["m"], ["x"], ["1"], [{}])


if __name__ == "__main__":
    unittest.main()
