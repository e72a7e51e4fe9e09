"""Tiny random Hugging Face causal LMs with a real tokenizer, built in a temp folder (nothing comes from a hub).

Shared by the models parity tests: `build(arch, dtype, folder)` writes config.json, model.safetensors,
tokenizer.json, tokenizer_config.json (with a chat template) and generation_config.json the way
`save_pretrained` does, and returns the loaded transformers model in float32 as the reference.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, processors, trainers
from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "cli.js"

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Question: what is 12 + 30? Answer: 42.",
    "Beta normalization keeps the policy gradient unbiased.",
    "def add(a, b):\n    return a + b\n",
    "Sampling at temperature zero is greedy decoding.",
] * 20

SPECIALS = ["<|bos|>", "<|eos|>", "<|pad|>", "<|im_start|>", "<|im_end|>"]

# A ChatML template (Qwen style) and a Llama 3 style one that uses bos_token, trim and a default system prompt.
CHATML = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
LLAMA3 = (
    "{{- bos_token }}"
    "{%- if messages[0]['role'] == 'system' %}{%- set system = messages[0]['content'] | trim %}"
    "{%- set messages = messages[1:] %}{%- else %}{%- set system = '' %}{%- endif %}"
    "{%- if system %}{{- '<|im_start|>system\\n\\n' + system + '<|im_end|>' }}{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{- raise_exception('roles must alternate') }}{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n\\n' + message['content'] | trim + '<|im_end|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n\\n' }}{%- endif %}"
)


def build_tokenizer(folder: Path, template: str, add_bos: bool) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS, trainer)
    bos = tok.token_to_id("<|bos|>")
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single="<|bos|> $A", pair="<|bos|> $A <|bos|> $B", special_tokens=[("<|bos|>", bos)]
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>"
    )
    fast.chat_template = template
    fast.save_pretrained(folder)
    return fast


ARCHS = {
    # Llama 3.x: GQA, rope_scaling llama3, untied.
    "llama": dict(
        model_type="llama",
        num_attention_heads=4,
        num_key_value_heads=2,
        rope_theta=500000.0,
        rope_scaling={
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 16,
        },
        tie_word_embeddings=False,
    ),
    # Qwen2.5: q/k/v biases, tied embeddings.
    "qwen2": dict(model_type="qwen2", num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True),
    # Qwen3: q/k RMSNorm, a head_dim that is not hidden/heads.
    "qwen3": dict(
        model_type="qwen3", num_attention_heads=4, num_key_value_heads=1, head_dim=24, tie_word_embeddings=False
    ),
}


def build(arch: str, dtype: str, folder: Path, seed: int = 0) -> tuple[torch.nn.Module, PreTrainedTokenizerFast]:
    """Writes the model folder; returns transformers' model loaded back from it in float32, and the tokenizer."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(folder, LLAMA3 if arch == "llama" else CHATML, add_bos=arch == "llama")
    spec = dict(ARCHS[arch])
    model_type = spec.pop("model_type")
    config = AutoConfig.for_model(
        model_type,
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        max_position_embeddings=256,
        rms_norm_eps=1e-6,
        # Large weights keep logits well apart, so greedy decoding is not decided by float rounding.
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **spec,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        # Norm weights start at 1 and biases at 0; random ones test that we read them.
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.2)
    model.to({"bf16": torch.bfloat16, "fp32": torch.float32}[dtype])
    model.generation_config = GenerationConfig(eos_token_id=[tokenizer.eos_token_id], bos_token_id=tokenizer.bos_token_id)
    model.save_pretrained(folder)
    reference = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    reference.eval()
    return reference, tokenizer


def bnpo(*args: str) -> dict:
    """Runs `bnpo generate ... --json` on the wasm backend and parses its line."""
    out = subprocess.run(
        ["node", str(CLI), "generate", "--backend", "wasm", "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    if out.returncode != 0:
        raise AssertionError(f"bnpo generate failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)
