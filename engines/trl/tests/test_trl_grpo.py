"""BNPO inside TRL's real GRPOTrainer: a tiny random Qwen2 model and a word-level tokenizer built here (nothing
downloaded) train a few steps on the CPU with rewards from `bnpo rules serve`. The advantages the loss used are
checked against `bnpo advantages` on the same per-rule rewards, and the run directory against the studio's schemas.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import unittest
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = os.path.dirname(os.path.dirname(HERE))
for path in (os.path.join(ENGINES, "verl", "tests"), os.path.join(ENGINES, "verl"), os.path.join(ENGINES, "trl")):
    if path not in sys.path:
        sys.path.insert(0, path)

from support import CLI, check_run_dir, cli_json, require_cli  # noqa: E402

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from trl import GRPOConfig  # noqa: E402

from bnpo_trl import BnpoGRPOTrainer, RunDirCallback, rule_reward_functions  # noqa: E402
from bnpo_verl import exchange, scoring  # noqa: E402

STEPS = 3
GROUP = 4
PROMPTS_PER_STEP = 4
# Two binary rules a random model meets about half the time, so the groups differ and BNPO has work to do.
RULES = {
    "rules": [
        {"name": "seven", "kind": "regex", "pattern": "7", "mode": "mustMatch"},
        {"name": "even", "kind": "regex", "pattern": "[02468]", "mode": "mustMatch"},
    ]
}
WORDS = [str(d) for d in range(10)] + ["+", "=", "?"]


def tiny_tokenizer(folder: str) -> PreTrainedTokenizerFast:
    vocab = {"[PAD]": 0, "[EOS]": 1, "[UNK]": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", eos_token="[EOS]", unk_token="[UNK]")
    tokenizer.save_pretrained(folder)
    return tokenizer


def tiny_qwen2(folder: str, vocab_size: int) -> Qwen2ForCausalLM:
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         pad_token_id=0, eos_token_id=1, bos_token_id=1, tie_word_embeddings=True)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(folder)
    return model


class RecordingTrainer(BnpoGRPOTrainer):
    """Keeps, per generation, the reward matrix and the advantages handed on, and every loss batch's advantages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generations: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.loss_advantages: list[torch.Tensor] = []

    def _generate_and_score_completions(self, inputs: Any) -> dict[str, Any]:
        output = super()._generate_and_score_completions(inputs)
        if self.model.training:
            assert self._bnpo_rewards is not None
            self.generations.append((self._bnpo_rewards.detach().cpu().clone(), output["advantages"].detach().cpu().clone()))
        return output

    def _compute_loss(self, model: Any, inputs: Any) -> Any:
        self.loss_advantages.append(inputs["advantages"].detach().cpu().clone())
        return super()._compute_loss(model, inputs)


class BnpoInGrpoTrainer(unittest.TestCase):
    trainer: RecordingTrainer
    tmp: str
    run_dir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="bnpo-trl-")
        rules_file = os.path.join(cls.tmp, "digits.rewards.json")
        with open(rules_file, "w", encoding="utf-8") as f:
            json.dump(RULES, f)
        model_dir = os.path.join(cls.tmp, "model")
        tokenizer = tiny_tokenizer(model_dir)
        model = tiny_qwen2(model_dir, len(tokenizer))
        prompts = [f"{a} + {b} =" for a in range(4) for b in range(4)]
        dataset = Dataset.from_dict({"prompt": prompts, "index": list(range(len(prompts)))})
        cls.run_dir = os.path.join(cls.tmp, "run")
        args = GRPOConfig(
            output_dir=os.path.join(cls.tmp, "out"), use_cpu=True, bf16=False, report_to=[], save_strategy="no",
            max_steps=STEPS, logging_steps=1, per_device_train_batch_size=GROUP * PROMPTS_PER_STEP,
            num_generations=GROUP, max_completion_length=6, learning_rate=1e-3, seed=3, run_name="trl-e2e",
            dataloader_num_workers=0,
        )
        callback = RunDirCallback(cls.run_dir, rules_file, CLI, model_path=model_dir, dataset="digits", sample_every=1)
        cls.trainer = RecordingTrainer(model=model, args=args, processing_class=tokenizer, train_dataset=dataset,
                                       reward_funcs=rule_reward_functions(rules_file, CLI), callbacks=[callback])
        exchange.reset()
        cls.trainer.train()

    @classmethod
    def tearDownClass(cls) -> None:
        scoring.close_servers()
        # BNPO_TRL_FIXTURE_OUT=test/fixtures/trl-run keeps this run's folder: the studio's TRL fixture comes from here.
        keep = os.environ.get("BNPO_TRL_FIXTURE_OUT")
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(cls.run_dir, keep)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self) -> None:
        require_cli(self)

    def test_each_step_used_the_bnpo_advantages_of_bnpo_advantages(self) -> None:
        self.assertEqual(len(self.trainer.generations), STEPS)
        names = list(self.trainer.reward_func_names)
        self.assertEqual(names, ["seven", "even"])
        signal = 0.0
        for step, (rewards, advantages) in enumerate(self.trainer.generations, start=1):
            rows = rewards.tolist()
            groups = [[dict(zip(names, rows[g * GROUP + j])) for j in range(GROUP)] for g in range(PROMPTS_PER_STEP)]
            expected = cli_json(["advantages", "--estimator", "bnpo", "--input", self.write(step, {"groups": groups})])
            flat = [a for group in expected["advantages"] for a in group]
            self.assertEqual(advantages.shape, (GROUP * PROMPTS_PER_STEP,))
            for i, (got, want) in enumerate(zip(advantages.tolist(), flat)):
                self.assertAlmostEqual(got, want, delta=1e-5 * max(1.0, abs(want)), msg=f"step {step} row {i}")
            signal += sum(abs(a) for a in flat)
        self.assertGreater(signal, 0.0, "some group must have mixed rewards, or the comparison proves nothing")

    def test_the_loss_saw_those_advantages(self) -> None:
        used = torch.cat(self.trainer.loss_advantages).flatten()
        handed = torch.cat([a for _, a in self.trainer.generations])
        self.assertEqual(used.numel(), handed.numel())
        # TRL shuffles rows between scoring and the loss: compare as multisets.
        self.assertTrue(torch.allclose(used.sort().values, handed.sort().values, atol=1e-7))
        # And they are not what TRL itself would have used (group z-scores of the summed reward).
        trl_own = []
        for rewards, _ in self.trainer.generations:
            summed = rewards.sum(dim=1).view(-1, GROUP)
            z = (summed - summed.mean(dim=1, keepdim=True)) / (summed.std(dim=1, keepdim=True) + 1e-4)
            trl_own.append(z.flatten())
        self.assertFalse(torch.allclose(torch.cat(trl_own), handed, atol=1e-3))

    def test_the_run_directory_is_one_the_studio_reads(self) -> None:
        summary = check_run_dir(self, self.run_dir)
        self.assertEqual((summary["run"]["status"], summary["run"]["step"], summary["run"]["totalSteps"]),
                         ("completed", STEPS, STEPS))
        self.assertEqual(summary["run"]["rules"], ["seven", "even"])
        self.assertEqual(summary["run"]["config"]["groupSize"], GROUP)
        self.assertEqual(summary["records"]["metrics"], STEPS)
        self.assertEqual(summary["records"]["groups"], STEPS)
        self.assertEqual(summary["records"]["samples"], STEPS * PROMPTS_PER_STEP)
        metrics = self.read("metrics.jsonl")
        last_rewards = self.trainer.generations[-1][0].mean(dim=0).tolist()
        self.assertAlmostEqual(metrics[-1]["rewards"]["seven"], last_rewards[0], delta=1e-6)
        self.assertAlmostEqual(metrics[-1]["rewards"]["even"], last_rewards[1], delta=1e-6)
        for m in metrics:
            self.assertEqual(sorted(m["beta"]), ["even", "seven"])
            self.assertTrue(0.0 <= m["zeroVarianceShare"] <= 1.0)
            self.assertIsNotNone(m["loss"])
        groups = self.read("groups.jsonl")
        self.assertEqual(len(groups[0]["groups"]), PROMPTS_PER_STEP)
        self.assertTrue(all(g["id"].isdigit() for g in groups[0]["groups"]), "prompt ids are the dataset index")
        samples = self.read("samples.jsonl")
        self.assertEqual(len(samples[0]["completions"]), GROUP)
        audits = self.read("audit.jsonl")
        self.assertEqual([a["step"] for a in audits], [m["step"] for m in metrics])
        for a, m in zip(audits, metrics):
            self.assertAlmostEqual(a["passRates"]["seven"], m["rewards"]["seven"], delta=1e-9)
            self.assertEqual(a["completions"], GROUP * PROMPTS_PER_STEP)
        # "at the cap" is TRL's own completions/clipped_ratio (no end token), step by step
        clipped = [h["completions/clipped_ratio"] for h in self.trainer.state.log_history if "completions/clipped_ratio" in h]
        self.assertEqual(len(clipped), len(audits))
        for a, ratio in zip(audits, clipped):
            self.assertAlmostEqual(a["length"]["atCap"], ratio, delta=1e-9)
        completions = [c for s in samples for c in s["completions"]]
        self.assertTrue(all(isinstance(c["truncated"], bool) for c in completions))
        self.assertTrue(all(c["tokens"] == 6 for c in completions if c["truncated"]), "cut off at max_completion_length")

    def write(self, step: int, payload: Any) -> str:
        path = os.path.join(self.tmp, f"step{step}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(payload, f)
        return path

    def read(self, name: str) -> list[dict[str, Any]]:
        with open(os.path.join(self.run_dir, name), encoding="utf-8") as f:
            return [json.loads(line) for line in f]


if __name__ == "__main__":
    unittest.main()
