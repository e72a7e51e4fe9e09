"""The plug-in inside a real verl (0.7 through 0.9; the test venv pins 0.9.1): verl's own registry,
``compute_advantage`` on a real ``DataProto``, ``load_extern_object`` loading the reward function that scores
through ``bnpo rules serve``, ``Tracking`` writing the run directory the studio reads, and Hydra composing the
editor's command line against verl's own config. Nothing of verl is stubbed.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import tempfile
import unittest
from typing import Any

from support import CLI, MATH_RULES, check_run_dir, cli_json, require_cli, run_cli  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import verl  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo import core_algos  # noqa: E402
from verl.trainer.ppo.ray_trainer import compute_advantage  # noqa: E402
from verl.utils.import_utils import load_extern_object  # noqa: E402
from verl.utils.tracking import Tracking  # noqa: E402

import bnpo_verl.plugin as plugin  # noqa: E402
from bnpo_verl import ESTIMATOR_NAME, SUPPORTED_VERL, exchange, reward  # noqa: E402
import bnpo_verl.advantage as advantage_module  # noqa: E402
from bnpo_verl.advantage import compute_bnpo_beta_outcome_advantage  # noqa: E402
from bnpo_verl.sink import RunDirSink  # noqa: E402

GOLDEN_GROUPS = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
# Completions for math.rewards.json (accuracy, format): 3 prompts × 4 completions, answers 1, 2, 3.
COMPLETIONS = [
    ["\\boxed{1}", "1", "\\boxed{2}", "\\boxed{1}"],
    ["\\boxed{2}", "\\boxed{3}", "2", "x"],
    ["\\boxed{3}", "\\boxed{3}", "\\boxed{3}", "three"],
]
#: The verl 0.7 keys that place the reward in verl's driver; verl 0.8 removed them (its reward loop always scores).
REMOVED_IN_VERL_08 = {"reward_model.use_reward_loop", "reward_model.launch_reward_fn_async"}


def verl_minor() -> tuple[int, int]:
    major, minor = verl.__version__.split(".")[:2]
    return int(major), int(minor)


def token_rewards(totals: list[float], length: int = 3) -> torch.Tensor:
    """verl's outcome reward: the score on the last response token."""
    rewards = torch.zeros(len(totals), length)
    rewards[:, -1] = torch.tensor(totals, dtype=torch.float32)
    return rewards


def data_proto(totals: list[float], uids: list[str]) -> DataProto:
    return DataProto.from_dict(
        tensors={"token_level_rewards": token_rewards(totals), "response_mask": torch.ones(len(totals), 3)},
        non_tensors={"uid": np.array(uids, dtype=object)},
    )


def score_math_batch() -> list[dict[str, float]]:
    """The reward function verl's config names, loaded and called the way verl does."""
    compute_score = load_extern_object("pkg://bnpo_verl.reward", "compute_score")
    flat = [c for group in COMPLETIONS for c in group]
    answers = [str(g + 1) for g, group in enumerate(COMPLETIONS) for _ in group]
    infos = [{"index": 10 + g} for g, group in enumerate(COMPLETIONS) for _ in group]
    return compute_score(["math"] * len(flat), flat, answers, infos)


VERL_CONFIG = {
    "trainer": {"experiment_name": "real", "total_training_steps": 2},
    "actor_rollout_ref": {"rollout": {"n": 4}, "model": {"path": "/models/m"}},
    "data": {"train_batch_size": 3, "train_files": ["/d/train.parquet"]},
    "algorithm": {"adv_estimator": ESTIMATOR_NAME},
}


class PluginTestCase(unittest.TestCase):
    def setUp(self) -> None:
        require_cli(self)
        exchange.reset()
        self.env = {k: os.environ.get(k) for k in ("BNPO_RUN_DIR", "BNPO_RULES_FILE", "BNPO_CLI", "BNPO_SAMPLE_EVERY")}
        self.tmp = tempfile.mkdtemp()
        os.environ.update(BNPO_RUN_DIR=os.path.join(self.tmp, "run"), BNPO_RULES_FILE=MATH_RULES, BNPO_CLI=CLI,
                          BNPO_SAMPLE_EVERY="1")

    def tearDown(self) -> None:
        reward.close_servers()
        for key, value in self.env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.tmp, ignore_errors=True)


class Registration(PluginTestCase):
    def test_the_installed_verl_is_a_supported_one(self) -> None:
        low, high = SUPPORTED_VERL
        self.assertTrue(low <= verl_minor() < high, f"verl {verl.__version__} outside {SUPPORTED_VERL}")

    def test_registers_the_estimator_and_the_backend_once(self) -> None:
        self.assertIs(core_algos.get_adv_estimator_fn(ESTIMATOR_NAME), compute_bnpo_beta_outcome_advantage)
        plugin.install()  # a second import path (reward module, then the plugin) changes nothing
        importlib.reload(plugin)
        self.assertIs(core_algos.get_adv_estimator_fn(ESTIMATOR_NAME), compute_bnpo_beta_outcome_advantage)
        self.assertEqual(Tracking.supported_backend.count(plugin.TRACKING_BACKEND), 1)
        self.assertTrue(getattr(Tracking.__init__, "_bnpo_wrapped", False))

    def test_a_tracking_without_the_expected_attributes_is_refused(self) -> None:
        saved = Tracking.__dict__["supported_backend"]
        del Tracking.supported_backend
        try:
            with self.assertRaisesRegex(plugin.VerlInterfaceError, "supported_backend"):
                plugin.install_tracking_backend()
        finally:
            Tracking.supported_backend = saved

    def test_missing_environment_is_named(self) -> None:
        os.environ.pop("BNPO_RUN_DIR")
        with self.assertRaisesRegex(ValueError, "BNPO_RUN_DIR"):
            Tracking("p", "e", default_backend=["bnpo"], config={})


class Advantage(PluginTestCase):
    def test_the_golden_batch_inside_verls_compute_advantage(self) -> None:
        os.environ.pop("BNPO_RULES_FILE")  # a plain summed reward in [0, 1]: one component
        totals = [float(r) for g in GOLDEN_GROUPS for r in g]
        out = compute_advantage(data_proto(totals, [f"u{i // 4}" for i in range(16)]), adv_estimator=ESTIMATOR_NAME, config=None)
        self.assertAlmostEqual(float(out.batch["advantages"][0, 0]), 0.672980, delta=1e-6)
        self.assertAlmostEqual(float(out.batch["advantages"][11, 2]), -0.754575, delta=1e-6)
        self.assertTrue(torch.equal(out.batch["advantages"], out.batch["returns"]))

    def test_decomposed_advantages_of_rules_scored_by_the_server_equal_the_cli(self) -> None:
        scores = score_math_batch()
        uids = [f"uid-{g}" for g, group in enumerate(COMPLETIONS) for _ in group]
        out = compute_advantage(data_proto([s["score"] for s in scores], uids), adv_estimator=ESTIMATOR_NAME, config=None)
        groups = [[{"accuracy": scores[4 * g + j]["rule_accuracy"], "format": scores[4 * g + j]["rule_format"]}
                   for j in range(4)] for g in range(3)]
        self.assertEqual(groups[0][0], {"accuracy": 1.0, "format": 1.0})
        self.assertEqual(groups[0][1], {"accuracy": 0.0, "format": 0.0})
        expected = cli_json(["advantages", "--estimator", "bnpo", "--input", self.write({"groups": groups})])
        got = out.batch["advantages"][:, 0].view(3, 4).tolist()
        for g in range(3):
            for j in range(4):
                self.assertAlmostEqual(got[g][j], expected["advantages"][g][j], delta=1e-6, msg=f"A[{g}][{j}]")
        self.assertTrue(any(abs(a) > 0.1 for row in got for a in row), "the batch must carry a learning signal")

    def test_without_the_per_rule_rewards_verl_0_8_on_trains_on_the_combined_reward_with_a_warning(self) -> None:
        # The studio's rules are configured but nothing was scored in this process: what verl >= 0.8's reward loop does.
        totals = [float(r) for g in GOLDEN_GROUPS for r in g]
        uids = [f"u{i // 4}" for i in range(16)]
        if verl_minor() < (0, 8):
            with self.assertRaisesRegex(RuntimeError, "use_reward_loop=False"):
                compute_advantage(data_proto(totals, uids), adv_estimator=ESTIMATOR_NAME, config=None)
            return
        advantage_module._combined_reward_warned = False
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            out = compute_advantage(data_proto(totals, uids), adv_estimator=ESTIMATOR_NAME, config=None)
            compute_advantage(data_proto(totals, uids), adv_estimator=ESTIMATOR_NAME, config=None)
        lines = stderr.getvalue().splitlines()
        self.assertEqual(len(lines), 1, "one warning line, once")
        self.assertIn("combined reward as one component", lines[0])
        self.assertAlmostEqual(float(out.batch["advantages"][0, 0]), 0.672980, delta=1e-6)
        self.assertAlmostEqual(float(out.batch["advantages"][11, 2]), -0.754575, delta=1e-6)
        with self.assertRaisesRegex(RuntimeError, r"combined reward spans \[0, 2\], outside \[0, 1\]"):
            compute_advantage(data_proto([2 * t for t in totals], uids), adv_estimator=ESTIMATOR_NAME, config=None)

    def write(self, payload: Any) -> str:
        path = os.path.join(self.tmp, "in.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(payload, f)
        return path


class TrackingSink(PluginTestCase):
    def test_a_tracking_that_names_bnpo_writes_a_run_directory_the_studio_reads(self) -> None:
        plain = Tracking("p", "e", default_backend=["console"], config=VERL_CONFIG)
        self.assertNotIn("bnpo", plain.logger)
        tracking = Tracking(project_name="p", experiment_name="real", default_backend=["console", "bnpo"], config=VERL_CONFIG)
        self.assertIsInstance(tracking.logger["bnpo"], RunDirSink)
        uids = [f"uid-{g}" for g, group in enumerate(COMPLETIONS) for _ in group]
        for step in (1, 2):  # one verl step: reward function, estimator by name, then the tracking log
            scores = score_math_batch()
            compute_advantage(data_proto([s["score"] for s in scores], uids), adv_estimator=ESTIMATOR_NAME, config=None)
            tracking.log(data={"training/global_step": step, "actor/pg_loss": 0.5 / step, "actor/grad_norm": 1.0}, step=step)
        summary = check_run_dir(self, os.environ["BNPO_RUN_DIR"])
        self.assertEqual((summary["run"]["status"], summary["run"]["step"]), ("completed", 2))
        self.assertEqual(summary["run"]["rules"], ["accuracy", "format"])
        self.assertEqual(summary["records"], {"metrics": 2, "groups": 2, "samples": 6})
        with open(os.path.join(os.environ["BNPO_RUN_DIR"], "metrics.jsonl"), encoding="utf-8") as f:
            metrics = [json.loads(line) for line in f]
        self.assertEqual(metrics[0]["rewards"]["accuracy"], 0.5)
        self.assertAlmostEqual(metrics[0]["rewards"]["format"], 8 / 12, delta=1e-12)
        self.assertEqual([m["loss"] for m in metrics], [0.5, 0.25])
        with open(os.path.join(os.environ["BNPO_RUN_DIR"], "groups.jsonl"), encoding="utf-8") as f:
            self.assertEqual([g["id"] for g in json.loads(f.readline())["groups"]], ["10", "11", "12"])


COMMAND_TEST_DIR = os.path.join(tempfile.gettempdir(), "bnpo-verl-command-test")


def generated_overrides(verl_version: str | None) -> list[str]:
    """`bnpo verl command --json`'s overrides for a minimal config (``verlVersion`` left to its default when None),
    written in the same folder every time so that commands for different versions compare key by key."""
    tmp = COMMAND_TEST_DIR
    os.makedirs(tmp, exist_ok=True)
    config = os.path.join(tmp, "c.verl.json")
    fields: dict[str, Any] = {"model": "m", "trainFiles": "t.parquet", "valFiles": "v.parquet", "rules": "r.json"}
    if verl_version is not None:
        fields["verlVersion"] = verl_version
    with open(config, "w", encoding="utf-8") as f:
        json.dump(fields, f)
    done = run_cli(["verl", "command", "--config", config, "--run-id", "x", "--run-dir", tmp, "--json"])
    if done.returncode != 0:
        raise AssertionError(done.stderr)
    return list(json.loads(done.stdout)["overrides"])


class GeneratedCommandInHydra(unittest.TestCase):
    """The overrides of `bnpo verl command` composed by Hydra against the installed verl's own ppo_trainer config."""

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(COMMAND_TEST_DIR, ignore_errors=True)

    def compose(self, overrides: list[str]) -> Any:
        config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
        with initialize_config_dir(config_dir=config_dir, version_base=None):
            # compose refuses an override of a key that does not exist (struct mode); '+' keys are new on purpose.
            return compose(config_name="ppo_trainer", overrides=overrides)

    def refused(self, overrides: list[str]) -> set[str]:
        out: set[str] = set()
        for override in overrides:
            try:
                self.compose([override])
            except Exception:  # noqa: BLE001 - Hydra raises several types for an unknown key
                out.add(override.split("=", 1)[0])
        return out

    def assert_composes(self, overrides: list[str]) -> None:
        cfg = self.compose(overrides)
        self.assertEqual(cfg.algorithm.adv_estimator, ESTIMATOR_NAME)
        self.assertEqual(list(cfg.trainer.logger), ["console", "bnpo"])
        self.assertEqual(cfg.custom_reward_function.path, "pkg://bnpo_verl.reward")
        self.assertEqual(cfg.reward_model.reward_manager, "batch")

    def test_the_command_for_the_installed_verl_composes_in_full(self) -> None:
        major, minor = verl_minor()
        overrides = generated_overrides(f"{major}.{minor}")
        self.assertEqual(self.refused(overrides), set())
        self.assert_composes(overrides)

    def test_the_default_verl_version_is_the_pinned_one(self) -> None:
        major, minor = verl_minor()
        self.assertEqual(generated_overrides(None), generated_overrides(f"{major}.{minor}"))

    def test_the_verl_0_7_command_differs_by_exactly_the_keys_verl_0_8_removed(self) -> None:
        old = generated_overrides("0.7")
        new = generated_overrides("0.9")
        self.assertEqual({o.split("=", 1)[0] for o in set(old) - set(new)}, REMOVED_IN_VERL_08)
        self.assertEqual(set(new) - set(old), set())
        expected = REMOVED_IN_VERL_08 if verl_minor() >= (0, 8) else set()
        self.assertEqual(self.refused(old), expected)


if __name__ == "__main__":
    unittest.main()
