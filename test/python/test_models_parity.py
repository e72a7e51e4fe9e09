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


def test_lora_export_loads_in_peft_and_transformers(tiny, tmp_path):
    """3 policy-gradient steps with LoRA, then our logits = peft's on the adapter = transformers' on the merge."""
    import subprocess

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from tiny_models import ROOT

    folder, model, tokenizer = tiny
    ids = [random.Random(3).randrange(len(tokenizer)) for _ in range(9)]
    out = subprocess.run(
        ["node", str(ROOT / "out" / "test" / "tools" / "modelsLoraExport.js"), str(folder), str(tmp_path),
         ",".join(map(str, ids))],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    ours = np.array(json.loads((tmp_path / "logits.json").read_text()))
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
