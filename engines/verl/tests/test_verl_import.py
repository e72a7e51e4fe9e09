"""Against a real verl (>= 0.7.0): the plug-in registers, verl's own compute_advantage runs it, the tracking
backend is accepted, and every key the editor's command sets exists in verl's config.

Skipped, with the reason printed, where verl is not installed (these machines have no Python package index).
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import unittest

from support import run_cli  # noqa: E402

import torch  # noqa: E402

VERL = importlib.util.find_spec("verl") is not None
REASON = "verl is not installed here (no Python package index on this machine): pip install 'verl>=0.7.0,<0.8' to run it"


@unittest.skipUnless(VERL, REASON)
class AgainstVerl(unittest.TestCase):
    def test_version_is_the_one_targeted(self) -> None:
        import verl

        from bnpo_verl import TARGET_VERL_VERSION

        major_minor = tuple(int(x) for x in verl.__version__.split(".")[:2])
        self.assertGreaterEqual(major_minor, tuple(int(x) for x in TARGET_VERL_VERSION.split(".")[:2]))

    def test_the_estimator_is_registered_and_runs_inside_verls_compute_advantage(self) -> None:
        import numpy as np
        from verl import DataProto
        from verl.trainer.ppo import core_algos
        from verl.trainer.ppo.ray_trainer import compute_advantage

        import bnpo_verl.plugin as plugin

        self.assertIs(core_algos.get_adv_estimator_fn("bnpo_beta"), plugin.compute_bnpo_beta_outcome_advantage)
        groups = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
        rewards = torch.zeros(16, 3)
        rewards[:, -1] = torch.tensor([r for g in groups for r in g], dtype=torch.float32)
        data = DataProto.from_dict(
            tensors={"token_level_rewards": rewards, "response_mask": torch.ones(16, 3)},
            non_tensors={"uid": np.array([f"u{i // 4}" for i in range(16)], dtype=object)},
        )
        out = compute_advantage(data, adv_estimator="bnpo_beta", config=None)
        self.assertAlmostEqual(float(out.batch["advantages"][0, 0]), 0.672980, delta=1e-6)
        self.assertAlmostEqual(float(out.batch["advantages"][11, 2]), -0.754575, delta=1e-6)

    def test_the_tracking_backend_is_accepted(self) -> None:
        from verl.utils.tracking import Tracking

        import bnpo_verl.plugin  # noqa: F401

        self.assertIn("bnpo", Tracking.supported_backend)

    def test_every_key_of_the_generated_command_exists_in_verls_config(self) -> None:
        from hydra import compose, initialize_config_dir

        import verl

        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "c.verl.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump({"model": "m", "trainFiles": "t.parquet", "valFiles": "v.parquet", "rules": "r.json"}, f)
            done = run_cli(["verl", "command", "--config", config, "--run-id", "x", "--run-dir", tmp, "--json"])
            self.assertEqual(done.returncode, 0, done.stderr)
            overrides = json.loads(done.stdout)["overrides"]
        config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
        with initialize_config_dir(config_dir=config_dir, version_base=None):
            # compose refuses an override of a key that does not exist (struct mode); '+' keys are new on purpose.
            cfg = compose(config_name="ppo_trainer", overrides=list(overrides))
        self.assertEqual(cfg.algorithm.adv_estimator, "bnpo_beta")
        self.assertEqual(list(cfg.trainer.logger), ["console", "bnpo"])


if __name__ == "__main__":
    unittest.main()
