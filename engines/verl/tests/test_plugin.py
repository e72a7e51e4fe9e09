"""The verl glue (bnpo_verl.plugin) against stand-ins for the two verl 0.7.0 interfaces it touches.

The stand-ins have the documented shape only: an advantage-estimator registry with ``register_adv_est``, and a
``Tracking`` class with a ``supported_backend`` list, a ``logger`` dict and ``log(data, step)``. They are put in
``sys.modules`` for the duration of each test and removed after. test_verl_import.py runs the same glue against
the real verl where it is installed.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import types
import unittest
from typing import Any, Callable

from support import CLI, MATH_RULES, require_cli  # noqa: E402

import torch  # noqa: E402

from bnpo_verl import exchange, reward  # noqa: E402
from bnpo_verl.advantage import compute_bnpo_beta_outcome_advantage  # noqa: E402
from bnpo_verl.sink import RunDirSink  # noqa: E402

FAKE_MODULES = ["verl", "verl.trainer", "verl.trainer.ppo", "verl.trainer.ppo.core_algos", "verl.utils", "verl.utils.tracking"]


def fake_verl(with_supported_backend: bool = True) -> tuple[dict[str, Any], type]:
    registry: dict[str, Any] = {}

    def register_adv_est(name: str) -> Callable[[Any], Any]:
        def decorator(fn: Any) -> Any:
            if name in registry and registry[name] is not fn:
                raise ValueError(f"Adv estimator {name} has already been registered")
            registry[name] = fn
            return fn

        return decorator

    class Tracking:
        def __init__(self, project_name: str, experiment_name: str, default_backend: Any = "console", config: Any = None) -> None:
            backends = [default_backend] if isinstance(default_backend, str) else list(default_backend)
            for backend in backends:
                assert backend in type(self).supported_backend, f"{backend} is not supported"
            self.logger: dict[str, Any] = {}

        def log(self, data: dict[str, Any], step: int, backend: Any = None) -> None:
            for logger in self.logger.values():
                logger.log(data=data, step=step)

    if with_supported_backend:
        Tracking.supported_backend = ["console", "file"]  # type: ignore[attr-defined]
    modules = {name: types.ModuleType(name) for name in FAKE_MODULES}
    modules["verl.trainer.ppo.core_algos"].register_adv_est = register_adv_est  # type: ignore[attr-defined]
    modules["verl.trainer.ppo.core_algos"].ADV_ESTIMATOR_REGISTRY = registry  # type: ignore[attr-defined]
    modules["verl.utils.tracking"].Tracking = Tracking  # type: ignore[attr-defined]
    modules["verl.trainer.ppo"].core_algos = modules["verl.trainer.ppo.core_algos"]  # type: ignore[attr-defined]
    modules["verl.utils"].tracking = modules["verl.utils.tracking"]  # type: ignore[attr-defined]
    sys.modules.update(modules)
    return registry, Tracking


class Glue(unittest.TestCase):
    def setUp(self) -> None:
        require_cli(self)
        exchange.reset()
        self.saved = {name: sys.modules.get(name) for name in [*FAKE_MODULES, "bnpo_verl.plugin"]}
        self.env = {k: os.environ.get(k) for k in ("BNPO_RUN_DIR", "BNPO_RULES_FILE", "BNPO_CLI")}
        self.tmp = tempfile.mkdtemp()
        os.environ.update(BNPO_RUN_DIR=os.path.join(self.tmp, "run"), BNPO_RULES_FILE=MATH_RULES, BNPO_CLI=CLI)

    def tearDown(self) -> None:
        reward.close_servers()
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for key, value in self.env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.tmp, ignore_errors=True)

    def load_plugin(self) -> Any:
        sys.modules.pop("bnpo_verl.plugin", None)
        return importlib.import_module("bnpo_verl.plugin")

    def test_registers_the_estimator_and_the_backend_once(self) -> None:
        registry, tracking = fake_verl()
        plugin = self.load_plugin()
        self.assertIs(registry["bnpo_beta"], compute_bnpo_beta_outcome_advantage)
        self.assertEqual(tracking.supported_backend, ["console", "file", "bnpo"])  # type: ignore[attr-defined]
        plugin.install()  # a second import path (reward module, then the plugin) changes nothing
        self.assertEqual(tracking.supported_backend.count("bnpo"), 1)  # type: ignore[attr-defined]
        self.assertTrue(getattr(tracking.__init__, "_bnpo_wrapped", False))

    def test_a_tracking_that_names_bnpo_writes_the_run_directory(self) -> None:
        registry, tracking = fake_verl()
        self.load_plugin()
        config = {
            "trainer": {"experiment_name": "glue", "total_training_steps": 1},
            "actor_rollout_ref": {"rollout": {"n": 2}, "model": {"path": "/models/m"}},
            "data": {"train_batch_size": 2, "train_files": ["/d/train.parquet"]},
            "algorithm": {"adv_estimator": "bnpo_beta"},
        }
        plain = tracking("p", "e", default_backend=["console"], config=config)
        self.assertNotIn("bnpo", plain.logger)
        logger = tracking(project_name="p", experiment_name="glue", default_backend=["console", "bnpo"], config=config)
        self.assertIsInstance(logger.logger["bnpo"], RunDirSink)
        # One verl step: the batch reward function, the registered estimator by name, then the tracking log.
        scores = reward.compute_score(["math"] * 4, ["\\boxed{1}", "1", "\\boxed{2}", "\\boxed{2}"], ["1", "1", "2", "3"],
                                      [{"index": 0}, {"index": 0}, {"index": 1}, {"index": 1}])
        token_rewards = torch.tensor([[0.0, s["score"]] for s in scores])
        registry["bnpo_beta"](token_level_rewards=token_rewards, response_mask=torch.ones(4, 2),
                              index=["a", "a", "b", "b"], config=None)
        logger.log(data={"training/global_step": 1, "actor/pg_loss": 0.5}, step=1)
        run_dir = os.environ["BNPO_RUN_DIR"]
        with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual((info["status"], info["step"], info["rules"]), ("completed", 1, ["accuracy", "format"]))
        with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
            metrics = [json.loads(line) for line in f]
        self.assertEqual(len(metrics), 1)
        self.assertEqual(metrics[0]["rewards"], {"accuracy": 0.5, "format": 0.75})
        self.assertEqual(metrics[0]["loss"], 0.5)

    def test_a_tracking_without_the_expected_attributes_is_refused(self) -> None:
        fake_verl(with_supported_backend=False)
        with self.assertRaisesRegex(Exception, "supported_backend"):
            self.load_plugin()

    def test_missing_environment_is_named(self) -> None:
        _, tracking = fake_verl()
        self.load_plugin()
        os.environ.pop("BNPO_RUN_DIR")
        with self.assertRaisesRegex(ValueError, "BNPO_RUN_DIR"):
            tracking("p", "e", default_backend=["bnpo"], config={})


if __name__ == "__main__":
    unittest.main()
