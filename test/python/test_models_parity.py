"""Our TensorFlow.js forward pass, sampler, tokenizer and chat template against transformers on tiny random models."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from tiny_models import bnpo, build

CASES = [(arch, dtype) for arch in ("llama", "qwen2", "qwen3") for dtype in ("fp32", "bf16")]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def tiny(request, tmp_path_factory):
    arch, dtype = request.param
    folder = tmp_path_factory.mktemp(f"{arch}-{dtype}")
    model, tokenizer = build(arch, dtype, folder, seed=hash((arch, dtype)) % 1000)
    return folder, model, tokenizer


def close(ours: np.ndarray, ref: np.ndarray, rel: float = 1e-4) -> None:
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(ours, ref, rtol=rel, atol=rel * scale)


def test_logits_match_on_random_prompts(tiny):
    folder, model, tokenizer = tiny
    rng = random.Random(7)
    for length in (1, 5, 23):
        ids = [rng.randrange(len(tokenizer)) for _ in range(length)]
        ours = np.array(bnpo("--model", str(folder), "--prompt-ids", ",".join(map(str, ids)), "--logits",
                             "--max-new-tokens", "1")["logits"])
        with torch.no_grad():
            ref = model(torch.tensor([ids])).logits[0].numpy()
        assert ours.shape == ref.shape
        close(ours, ref)


def test_greedy_generation_is_token_identical(tiny):
    folder, model, tokenizer = tiny
    prompt = "Question: what is 12 + 30?"
    out = bnpo("--model", str(folder), "--prompt", prompt, "--max-new-tokens", "32", "--temperature", "0")
    ids = tokenizer(prompt)["input_ids"]
    assert out["prompt_ids"] == ids
    with torch.no_grad():
        ref = model.generate(torch.tensor([ids]), max_new_tokens=32, do_sample=False)
    expected = ref[0, len(ids):].tolist()
    assert out["completion_ids"] == expected
    assert out["completion"] == tokenizer.decode(expected, skip_special_tokens=True)


def test_chat_template_renders_like_apply_chat_template(tiny):
    folder, _, tokenizer = tiny
    out = bnpo("--model", str(folder), "--prompt", "  What is 2+2?  ", "--system", "Be brief. ", "--chat",
               "--max-new-tokens", "1")
    messages = [{"role": "system", "content": "Be brief. "}, {"role": "user", "content": "  What is 2+2?  "}]
    expected = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert out["prompt_text"] == expected
    assert out["prompt_ids"] == tokenizer(expected, add_special_tokens=False)["input_ids"]


def cli(*args: str, env: dict | None = None) -> str:
    import os
    import subprocess

    from tiny_models import CLI

    out = subprocess.run(
        ["node", str(CLI), *args], capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )
    assert out.returncode == 0, f"bnpo {args[0]}: {out.stderr.strip()}"
    return out.stdout


def train_and_export(folder, tmp_path) -> "Path":
    """`bnpo train` (3 BNPO steps, LoRA) on the folder, then `bnpo export` of its last checkpoint both ways."""
    data = tmp_path / "train.jsonl"
    questions = [f"Question: what is {a} + {b}?" for a in range(10) for b in range(4)]
    data.write_text("".join(json.dumps({"prompt": q, "answer": "x"}) + "\n" for q in questions))
    # A reward a random model earns about half the time, so groups have something to tell apart.
    (tmp_path / "vowel.rewards.json").write_text(
        json.dumps({"rules": [{"name": "vowel", "kind": "regex", "pattern": "[ae]"}]})
    )
    config = {
        "dataset": {"train": "train.jsonl"},
        "rules": "vowel.rewards.json",
        "model": {"path": str(folder), "lora": {"rank": 4, "alpha": 8, "dropout": 0.05}},
        "steps": 3, "groupSize": 4, "promptsPerStep": 2, "microBatch": 4, "maxNewTokens": 6,
        "lr": 5e-2, "warmupSteps": 0, "sft": {"maxSteps": 0}, "eval": {"every": 100, "size": 2},
        "checkpointEvery": 1, "seed": 4, "backend": "wasm",
    }
    (tmp_path / "run.bnporun.json").write_text(json.dumps(config))

    cli("train", "--config", str(tmp_path / "run.bnporun.json"), "--out", str(tmp_path / "runs"))
    (run,) = (tmp_path / "runs").iterdir()
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "completed" and info["step"] == 3
    assert info["modelInfo"]["lora"]["rank"] == 4
    cli("export", str(run), "--format", "peft", "--out", str(tmp_path / "adapter"))
    cli("export", str(run), "--format", "merged", "--out", str(tmp_path / "merged"))
    return run


def test_trained_run_exports_load_in_peft_and_transformers(tiny, tmp_path):
    """3 BNPO steps with LoRA through `bnpo train`; `bnpo export` of the run: our logits (`bnpo generate --model RUN`)
    = peft's on the adapter = transformers' on the merged folder."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    folder, model, tokenizer = tiny
    run = train_and_export(folder, tmp_path)
    ids = [random.Random(3).randrange(len(tokenizer)) for _ in range(9)]
    out = bnpo("--model", str(run), "--prompt-ids", ",".join(map(str, ids)), "--max-new-tokens", "1", "--logits")
    ours = np.array(out["logits"])
    with torch.no_grad():
        base_logits = model(torch.tensor([ids])).logits[0].numpy()
        # The adapter must have learned something, or the comparison below proves nothing.
        assert np.abs(ours - base_logits).max() > 1e-3
        base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        peft_model = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
        close(ours, peft_model(torch.tensor([ids])).logits[0].numpy())
        merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged", dtype=torch.float32).eval()
        close(ours, merged(torch.tensor([ids])).logits[0].numpy())
    assert (tmp_path / "merged" / "tokenizer.json").exists()


def test_builtin_llama_model_loads_in_transformers(tmp_path):
    """The built-in model made as a Llama folder (`model.architecture: llama`): after a run, its merged export loads
    in transformers, whose tokenizer reads our character ids and whose logits are ours."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = {
        "task": "sorting", "digits": 3, "steps": 2, "promptsPerStep": 2, "groupSize": 3,
        "model": {"dModel": 16, "layers": 1, "heads": 2, "mlpRatio": 2, "architecture": "llama"},
        "sft": {"maxSteps": 3, "batchSize": 4, "evalEvery": 3, "targetAccuracy": 0.9},
        "eval": {"every": 100, "size": 4}, "backend": "wasm",
    }
    (tmp_path / "run.bnporun.json").write_text(json.dumps(config))
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    cli("train", "--config", str(tmp_path / "run.bnporun.json"), "--out", str(tmp_path / "runs"), env=env)
    (run,) = (tmp_path / "runs").iterdir()
    cli("export", str(run), "--format", "merged", "--out", str(tmp_path / "merged"))
    prompt = "sort: 3,1,2="
    ours = bnpo("--model", str(run), "--prompt", prompt, "--max-new-tokens", "4", "--logits")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "merged")
    assert tokenizer(prompt)["input_ids"] == ours["prompt_ids"]
    assert tokenizer.decode(ours["prompt_ids"]) == prompt
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged", dtype=torch.float32).eval()
    with torch.no_grad():
        close(np.array(ours["logits"]), merged(torch.tensor([ours["prompt_ids"]])).logits[0].numpy())
