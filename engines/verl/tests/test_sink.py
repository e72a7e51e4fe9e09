"""The run-directory sink, driven the way verl drives it: reward function → estimator → Tracking.log.

The run it writes is compared byte for byte with test/fixtures/verl-run/, which the TypeScript suite
(test/unit/verlSink.test.ts) reads with the studio's own schemas. BNPO_UPDATE_FIXTURES=1 rewrites the fixture.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Any

from support import CLI, FIXTURE_DIR, REPO_ROOT, require_cli  # noqa: E402

import torch  # noqa: E402

from bnpo_verl import exchange, reward  # noqa: E402
from bnpo_verl.advantage import compute_bnpo_beta_outcome_advantage  # noqa: E402
from bnpo_verl.sink import FILES, RunDirSink, run_config_from_verl  # noqa: E402

RULES = "engines/verl/examples/math.rewards.json"

VERL_CONFIG: dict[str, Any] = {
    "data": {"train_files": ["/data/math/train.parquet"], "val_files": ["/data/math/test.parquet"], "train_batch_size": 3, "seed": None},
    "actor_rollout_ref": {
        "model": {"path": "Qwen/Qwen2.5-Math-7B"},
        "actor": {"optim": {"lr": 1e-6, "weight_decay": 0.0, "clip_grad": 1.0}, "clip_ratio_low": 0.2, "clip_ratio_high": 0.28, "clip_ratio_c": 10.0},
        "rollout": {"n": 4, "temperature": 1.0, "top_p": 1.0, "val_kwargs": {"temperature": 0.6}},
    },
    "algorithm": {"adv_estimator": "bnpo_beta"},
    "trainer": {"experiment_name": "fixture", "total_training_steps": 4, "test_freq": 4, "save_freq": 2},
}

# Three MATH-like prompts; the completions a policy "sampled" at each step, deterministic.
PROMPTS = [("\\frac{1}{2}", 11), ("3", 12), ("42", 13)]


def completions(step: int, prompt: int) -> list[str]:
    answer = PROMPTS[prompt][0]
    pattern = [(step + prompt + j) % 4 for j in range(4)]
    texts = {0: f"so \\boxed{{{answer}}}", 1: "I think it is \\boxed{7}", 2: f"the answer is {answer}", 3: "no idea"}
    if prompt == 2 and step % 2 == 1:
        return [texts[0]] * 4  # an all-correct group: zero variance, exact zero advantages
    return [texts[p] for p in pattern]


class Clock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


def train_step(step: int) -> None:
    """What verl does in one step before logging: score the batch, then compute the advantages."""
    texts, truths, infos, uids = [], [], [], []
    for p, (answer, index) in enumerate(PROMPTS):
        for text in completions(step, p):
            texts.append(text)
            truths.append(answer)
            infos.append({"index": index, "split": "train"})
            uids.append(f"uid-{step}-{p}")
    scores = reward.compute_score(["math"] * len(texts), texts, truths, infos)
    length = 6
    mask = torch.zeros(len(texts), length)
    token_rewards = torch.zeros(len(texts), length)
    for row, s in enumerate(scores):
        n = 2 + (row % 4)
        mask[row, :n] = 1
        token_rewards[row, n - 1] = s["score"]
    compute_bnpo_beta_outcome_advantage(token_rewards, mask, index=uids)


def validate() -> None:
    reward.compute_score(["math"] * 3, ["\\boxed{\\frac{1}{2}}", "\\boxed{4}", "42"], ["\\frac{1}{2}", "3", "42"],
                         [{"index": 0, "split": "test"}, {"index": 1, "split": "test"}, {"index": 2, "split": "test"}])


def verl_metrics(step: int) -> dict[str, Any]:
    return {
        "training/global_step": step,
        "training/epoch": 0,
        "actor/pg_loss": 0.125 * step,
        "actor/pg_clipfrac": 0.015,
        "actor/grad_norm": math.nan if step == 3 else 0.5 + step / 8,
        "actor/entropy": 0.75,
        "actor/lr": 1e-6,
        "response_length/mean": 3.5,
        "critic/score/mean": 1.0,
        "perf/throughput": 1234.5,
        "timing_s/gen": 2.0,
        "timing_s/reward": 0.25,
        "timing_s/adv": 0.0125,
        "timing_s/update_actor": 3.0,
    }


def new_sink(run_dir: str, clock: Clock) -> RunDirSink:
    config = run_config_from_verl(VERL_CONFIG, RULES, sample_every=2)
    return RunDirSink(run_dir, run_config=config, rules=["accuracy", "format"], rules_file=RULES,
                      total_steps=4, sample_every=2, sample_groups=2, clock=clock, pid=4242,
                      host="fixture-host")


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class SinkTestCase(unittest.TestCase):
    def setUp(self) -> None:
        require_cli(self)
        exchange.reset()
        self.cwd = os.getcwd()
        os.chdir(REPO_ROOT)  # the fixture records the rules file as a repository-relative path
        self.env = {k: os.environ.get(k) for k in ("BNPO_RULES_FILE", "BNPO_CLI")}
        os.environ["BNPO_RULES_FILE"] = RULES
        os.environ["BNPO_CLI"] = CLI
        self.tmp = tempfile.mkdtemp()

    def tearDown(self) -> None:
        reward.close_servers()
        os.chdir(self.cwd)
        shutil.rmtree(self.tmp, ignore_errors=True)
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class FixtureRun(SinkTestCase):
    def write_run(self, run_dir: str) -> None:
        sink = new_sink(run_dir, Clock())
        validate()
        sink.log({"val-core/math/rule_accuracy/mean@1": 0.33}, step=0)  # val_before_train
        for step in range(1, 5):
            train_step(step)
            if step == 4:
                validate()  # verl validates after the update of a test_freq step, before logging it
            sink.log(verl_metrics(step), step=step)
        sink.finish()

    def test_the_run_matches_the_shared_fixture(self) -> None:
        run_dir = os.path.join(self.tmp, "verl-run")
        self.write_run(run_dir)
        written = sorted(os.listdir(run_dir))
        self.assertEqual(written, sorted(FILES.values()))
        if os.environ.get("BNPO_UPDATE_FIXTURES") == "1":
            shutil.rmtree(FIXTURE_DIR, ignore_errors=True)
            shutil.copytree(run_dir, FIXTURE_DIR)
        for name in written:
            with open(os.path.join(run_dir, name), encoding="utf-8") as a, open(os.path.join(FIXTURE_DIR, name), encoding="utf-8") as b:
                self.assertEqual(a.read(), b.read(), f"{name} differs from test/fixtures/verl-run/{name} "
                                 "(BNPO_UPDATE_FIXTURES=1 rewrites it after an intended change)")

    def test_the_records_carry_what_the_panels_draw(self) -> None:
        run_dir = os.path.join(self.tmp, "verl-run")
        self.write_run(run_dir)
        metrics = read_jsonl(os.path.join(run_dir, "metrics.jsonl"))
        self.assertEqual([m["step"] for m in metrics], [1, 2, 3, 4])
        self.assertEqual(set(metrics[0]["rewards"]), {"accuracy", "format"})
        self.assertEqual(metrics[0]["estimator"], "bnpo")
        self.assertTrue(metrics[2]["skipped"])  # the NaN gradient norm of step 3
        self.assertIsNone(metrics[2]["gradNorm"])
        self.assertEqual([m["skippedSteps"] for m in metrics], [0, 0, 1, 1])
        self.assertEqual(metrics[0]["timings"], {"sampling": 2000.0, "scoring": 250.0, "advantage": 12.5, "update": 3000.0})
        # Odd steps hold one all-correct group of three; even steps none (but every p̂ equal: the guard fires).
        self.assertEqual([m["zeroVarianceShare"] for m in metrics], [1 / 3, 0, 1 / 3, 0])
        self.assertEqual([m["beta"]["accuracy"]["guard"] for m in metrics], [None, "zeroVariance", None, "zeroVariance"])
        self.assertIsNone(metrics[1]["beta"]["accuracy"]["a"])
        groups = read_jsonl(os.path.join(run_dir, "groups.jsonl"))
        self.assertEqual([g["id"] for g in groups[0]["groups"]], ["11", "12", "13"])  # extra_info.index, not uid
        samples = read_jsonl(os.path.join(run_dir, "samples.jsonl"))
        self.assertEqual([(s["step"], s["promptId"]) for s in samples], [(2, "11"), (2, "12"), (4, "11"), (4, "12")])
        first = samples[0]["completions"]
        self.assertEqual(len(first), 4)
        self.assertAlmostEqual(sum(c["advantage"] for c in first), 0.0, delta=1e-12)
        self.assertEqual([c["tokens"] for c in first], [2, 3, 4, 5])
        evals = read_jsonl(os.path.join(run_dir, "eval.jsonl"))
        self.assertEqual([(e["step"], e["phase"], e["size"]) for e in evals], [(0, "base", 3), (4, "final", 3)])
        self.assertAlmostEqual(evals[0]["accuracy"], 1 / 3)  # only the boxed 1/2 is right
        with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
            info = json.load(f)
        self.assertEqual((info["status"], info["phase"], info["step"], info["totalSteps"]), ("completed", "done", 4, 4))
        self.assertEqual(info["rules"], ["accuracy", "format"])
        self.assertEqual(info["config"]["groupSize"], 4)
        self.assertEqual(info["config"]["clip"], {"low": 0.2, "high": 0.28, "dual": 10.0})
        self.assertAlmostEqual(info["baseAccuracy"], 1 / 3)


class Resume(SinkTestCase):
    def test_a_resumed_run_continues_its_curves(self) -> None:
        run_dir = os.path.join(self.tmp, "run")
        clock = Clock()
        first = new_sink(run_dir, clock)
        for step in (1, 2, 3):
            train_step(step)
            first.log(verl_metrics(step), step=step)
        created = read_json(os.path.join(run_dir, "run.json"))["createdAt"]
        wall_at_3 = read_jsonl(os.path.join(run_dir, "metrics.jsonl"))[-1]["wall"]
        # Killed while writing step 4: a torn last line. The checkpoint holds step 2.
        with open(os.path.join(run_dir, "metrics.jsonl"), "a", encoding="utf-8") as f:
            f.write('{"v": 1, "step": 4, "ti')
        exchange.reset()
        clock.now += 600  # the restart takes a while
        second = new_sink(run_dir, clock)
        validate()
        second.log({"val-core/math/rule_accuracy/mean@1": 0.5}, step=2)  # verl validates at the resumed step
        for step in (3, 4):
            train_step(step)
            second.log(verl_metrics(step), step=step)
        # No finish(): Ray may end verl's driver without exit handlers, so the last step completes the run.
        metrics = read_jsonl(os.path.join(run_dir, "metrics.jsonl"))
        self.assertEqual([m["step"] for m in metrics], [1, 2, 3, 4])
        walls = [m["wall"] for m in metrics]
        self.assertEqual(walls, sorted(walls))
        self.assertLess(walls[2], wall_at_3 + 10, "wall counts training time, not the time the run was down")
        self.assertEqual([m["skippedSteps"] for m in metrics], [0, 0, 1, 1])
        self.assertEqual([g["step"] for g in read_jsonl(os.path.join(run_dir, "groups.jsonl"))], [1, 2, 3, 4])
        self.assertEqual([s["step"] for s in read_jsonl(os.path.join(run_dir, "samples.jsonl"))], [2, 2, 4, 4])
        info = read_json(os.path.join(run_dir, "run.json"))
        self.assertEqual(info["createdAt"], created)
        self.assertEqual(info["status"], "completed")
        with open(os.path.join(run_dir, "trainer.log"), encoding="utf-8") as f:
            self.assertIn("resumed at step 2", f.read())

    def test_a_stopped_run_says_so(self) -> None:
        run_dir = os.path.join(self.tmp, "run")
        sink = new_sink(run_dir, Clock())
        train_step(1)
        sink.log(verl_metrics(1), step=1)
        sink.finish()
        info = read_json(os.path.join(run_dir, "run.json"))
        self.assertEqual((info["status"], info["step"]), ("stopped", 1))

    def test_a_driver_that_crashes_marks_the_run_failed_with_its_error(self) -> None:
        run_dir = os.path.join(self.tmp, "crashed")
        script = "\n".join([
            "import sys",
            f"sys.path[:0] = [{os.path.dirname(os.path.abspath(__file__))!r}]",
            "from test_sink import new_sink, Clock",
            "from bnpo_verl.sink import finish_at_exit",
            f"sink = new_sink({run_dir!r}, Clock())",
            "finish_at_exit(sink)",
            "raise RuntimeError('CUDA out of memory on rank 3')",
        ])
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=120)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("CUDA out of memory", done.stderr, "the original traceback is still printed")
        info = read_json(os.path.join(run_dir, "run.json"))
        self.assertEqual(info["status"], "failed")
        self.assertIn("RuntimeError: CUDA out of memory on rank 3", json.dumps(info["error"]))


if __name__ == "__main__":
    unittest.main()
