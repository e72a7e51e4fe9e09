"""The command line the editor generates (`bnpo verl command --json`) names things the plug-in really has."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shutil
import tempfile
import unittest
from typing import Any

from support import CLI, ENGINE_DIR, MATH_RULES, run_cli  # noqa: E402

import bnpo_verl  # noqa: E402
from bnpo_verl.rules_client import RulesServer  # noqa: E402

PACKAGE_DIR = os.path.join(ENGINE_DIR, "bnpo_verl")
HYDRA_OVERRIDE = re.compile(r"^\+?[A-Za-z_][\w.]*=(\[[^\]]*\]|'(?:[^'\\]|\\.)*'|[^\s'\[]+)$")


def environment_names_read() -> set[str]:
    """Every os.environ.get("NAME") / os.environ["NAME"] / _setting(..., "NAME") in the package's source."""
    names: set[str] = set()
    for file in os.listdir(PACKAGE_DIR):
        if not file.endswith(".py"):
            continue
        with open(os.path.join(PACKAGE_DIR, file), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func)
                if func in ("os.environ.get", "os.getenv") and isinstance(node.args[0], ast.Constant):
                    names.add(str(node.args[0].value))
                if func == "_setting" and len(node.args) == 3 and isinstance(node.args[2], ast.Constant):
                    names.add(str(node.args[2].value))
    return names


def module_constant(module_file: str, name: str) -> Any:
    with open(os.path.join(PACKAGE_DIR, module_file), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{module_file} defines no {name}")


class GeneratedCommand(unittest.TestCase):
    command: dict[str, Any]
    overrides: dict[str, str]
    tmp: str

    @classmethod
    def setUpClass(cls) -> None:
        if not os.path.exists(CLI):
            raise AssertionError(f"{CLI} is missing: build it first (node esbuild.js)")
        cls.tmp = tempfile.mkdtemp()
        shutil.copy(MATH_RULES, os.path.join(cls.tmp, "math.rewards.json"))
        config = os.path.join(cls.tmp, "local.verl.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump({"name": "t", "model": "/models/m", "trainFiles": "train.parquet", "valFiles": "test.parquet",
                       "rules": "math.rewards.json", "groupSize": 4, "promptsPerStep": 2}, f)
        done = run_cli(["verl", "command", "--config", config, "--run-dir", os.path.join(cls.tmp, "run"), "--run-id", "t1", "--json"])
        if done.returncode != 0:
            raise AssertionError(f"bnpo verl command exited {done.returncode}: {done.stderr}")
        cls.command = json.loads(done.stdout)
        cls.overrides = dict(o.split("=", 1) for o in cls.command["overrides"])

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_override_is_hydra_syntax(self) -> None:
        for override in self.command["overrides"]:
            self.assertRegex(override, HYDRA_OVERRIDE)

    def test_the_estimator_name_is_the_one_the_plugin_registers(self) -> None:
        self.assertEqual(self.overrides["algorithm.adv_estimator"], bnpo_verl.ESTIMATOR_NAME)
        self.assertNotEqual(bnpo_verl.ESTIMATOR_NAME, "bnpo", "must not read like TRL's loss_type='bnpo'")

    def test_the_reward_function_exists_with_verls_batch_signature(self) -> None:
        path = self.overrides["custom_reward_function.path"].strip("'")
        self.assertTrue(path.startswith("pkg://"))
        module = importlib.import_module(path[len("pkg://"):].replace("/", "."))
        fn = getattr(module, self.overrides["custom_reward_function.name"])
        params = list(inspect.signature(fn).parameters)
        self.assertEqual(params[:4], ["data_sources", "solution_strs", "ground_truths", "extra_infos"])
        self.assertEqual(self.overrides["reward_model.reward_manager"], "batch")

    def test_the_logger_is_the_plugins_and_the_reward_import_registers_it(self) -> None:
        self.assertNotIn("VERL_USE_EXTERNAL_MODULES", self.command["pluginEnv"])
        with open(os.path.join(PACKAGE_DIR, "reward.py"), encoding="utf-8") as f:
            self.assertIn("from . import plugin", f.read(), "importing the reward module must register the plug-in")
        backend = module_constant("plugin.py", "TRACKING_BACKEND")
        self.assertEqual(self.overrides["trainer.logger"], f"[console,{backend}]")

    def test_the_plugin_reads_every_variable_the_command_sets(self) -> None:
        env = self.command["pluginEnv"]
        read = environment_names_read()
        self.assertEqual(set(env) - read, set(), f"the package reads {sorted(read)}")
        for key, value in env.items():
            # Ray's runtime_env env_vars must be strings: the Hydra copies are quoted where YAML would retype them.
            hydra = self.overrides[f"+ray_kwargs.ray_init.runtime_env.env_vars.{key}"]
            self.assertEqual(hydra.strip("'"), value)
            if re.fullmatch(r"[0-9.]+|true|false", value, re.IGNORECASE):
                self.assertTrue(hydra.startswith("'"), key)

    def test_the_rules_file_and_cli_serve_the_rules(self) -> None:
        env = self.command["pluginEnv"]
        self.assertEqual(env["BNPO_RULES_FILE"], os.path.join(self.tmp, "math.rewards.json"))
        self.assertEqual(os.path.realpath(env["BNPO_CLI"]), os.path.realpath(CLI))
        with RulesServer(env["BNPO_RULES_FILE"], cli=env["BNPO_CLI"]) as server:
            self.assertEqual(server.rules, ["accuracy", "format"])

    def test_checkpoints_and_records_stay_in_the_run_directory(self) -> None:
        run_dir = os.path.join(self.tmp, "run")
        self.assertEqual(self.command["pluginEnv"]["BNPO_RUN_DIR"], run_dir)
        self.assertEqual(self.overrides["trainer.default_local_dir"], f"{run_dir}/verl-checkpoints")
        self.assertEqual(self.overrides["trainer.experiment_name"], "t1")


if __name__ == "__main__":
    unittest.main()
