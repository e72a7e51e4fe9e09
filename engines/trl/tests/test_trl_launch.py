"""``python -m bnpo_trl.launch``, the entry BNPO Studio's *Launch on TRL…* runs, for real: a tiny random Qwen2 model
and tokenizer built here (nothing downloaded), a JSONL dataset and a rules file, two steps on the CPU. The run folder
it writes is read with the studio's schemas; SIGTERM (the studio's Stop) ends it as stopped; bad input is one line.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.dirname(os.path.dirname(HERE))
for path in (HERE, os.path.join(ENGINES, "verl", "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)

from support import CLI, check_run_dir, require_cli  # noqa: E402
from test_trl_grpo import RULES, tiny_qwen2, tiny_tokenizer  # noqa: E402

PYTHONPATH = os.pathsep.join([os.path.join(ENGINES, "trl"), os.path.join(ENGINES, "verl")])


class LaunchEntry(unittest.TestCase):
    tmp: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="bnpo-trl-launch-")
        cls.model = os.path.join(cls.tmp, "model")
        tokenizer = tiny_tokenizer(cls.model)
        tiny_qwen2(cls.model, len(tokenizer))
        cls.rules = os.path.join(cls.tmp, "digits.rewards.json")
        with open(cls.rules, "w", encoding="utf-8") as f:
            json.dump(RULES, f)
        cls.dataset = os.path.join(cls.tmp, "sums.jsonl")
        with open(cls.dataset, "w", encoding="utf-8") as f:
            for a in range(4):
                for b in range(4):
                    f.write(json.dumps({"prompt": f"{a} + {b} =", "answer": str(a + b)}) + "\n")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self) -> None:
        require_cli(self)

    def launch(self, run_dir: str, *extra: str) -> subprocess.Popen[str]:
        argv = [sys.executable, "-m", "bnpo_trl.launch", "--model", self.model, "--dataset", self.dataset,
                "--rules", self.rules, "--run-dir", run_dir, "--cli", CLI, "--group-size", "4",
                "--prompts-per-step", "2", "--max-completion-length", "4", "--lr", "1e-3", "--cpu", *extra]
        env = {**os.environ, "PYTHONPATH": PYTHONPATH}
        # Its own process group, as the studio's supervisor starts it, so a stop can signal the group as Stop does.
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)

    def test_two_steps_write_a_run_folder_the_studio_reads(self) -> None:
        run_dir = os.path.join(self.tmp, "runs", "trl-two")
        child = self.launch(run_dir, "--steps", "2", "--sample-every", "1", "--name", "two")
        out, _ = child.communicate(timeout=300)
        self.assertEqual(child.returncode, 0, out)
        summary = check_run_dir(self, run_dir)
        run = summary["run"]
        self.assertEqual((run["status"], run["step"], run["totalSteps"]), ("completed", 2, 2))
        self.assertEqual(run["rules"], ["seven", "even"])
        self.assertEqual(run["config"]["groupSize"], 4)
        self.assertEqual(run["pid"], child.pid, "run.json names the launched process, which Stop proves")
        self.assertEqual((summary["records"]["metrics"], summary["records"]["groups"]), (2, 2))
        self.assertEqual(summary["records"]["samples"], 2 * 2)
        self.assertEqual(sorted(os.listdir(run_dir)), sorted(["run.json", "metrics.jsonl", "groups.jsonl",
                                                            "samples.jsonl", "audit.jsonl",
                                                            "trainer.log"]))

    def test_sigterm_to_its_group_ends_the_run_as_stopped(self) -> None:
        run_dir = os.path.join(self.tmp, "runs", "trl-stop")
        child = self.launch(run_dir, "--steps", "500")
        metrics = os.path.join(run_dir, "metrics.jsonl")
        deadline = time.time() + 240
        while not (os.path.exists(metrics) and os.path.getsize(metrics) > 0):
            self.assertIsNone(child.poll(), "the run ended before it could be stopped")
            self.assertLess(time.time(), deadline, "no step written")
            time.sleep(0.2)
        os.killpg(child.pid, signal.SIGTERM)  # the rules server gets it too, as with the studio's Stop
        out, _ = child.communicate(timeout=120)
        self.assertEqual(child.returncode, 0, out)
        run = check_run_dir(self, run_dir)["run"]
        self.assertEqual(run["status"], "stopped")
        self.assertLess(run["step"], 500)

    def test_a_bad_dataset_line_is_one_line_naming_it(self) -> None:
        bad = os.path.join(self.tmp, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"prompt": "1 + 1 ="}\n{"question": "no prompt"}\n')
        run_dir = os.path.join(self.tmp, "runs", "trl-bad")
        argv = [sys.executable, "-m", "bnpo_trl.launch", "--model", self.model, "--dataset", bad,
                "--rules", self.rules, "--run-dir", run_dir]
        done = subprocess.run(argv, env={**os.environ, "PYTHONPATH": PYTHONPATH}, capture_output=True, text=True,
                              timeout=120)
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(done.stderr.strip(), f'{bad}:2: expected an object with a "prompt" string')
        self.assertFalse(os.path.exists(run_dir), "no half-written run folder")


if __name__ == "__main__":
    unittest.main()
