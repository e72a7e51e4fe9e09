"""BNPO advantages in torch, exactly as the studio's spec (shared/spec/bnpo.md) and src/core/estimators.ts.

Pure: no verl import. Rows are completions; rows with the same group key (verl's ``uid``) answered the same
prompt. Each reward rule is its own binary component with its own p̂, Beta fit and advantages; the combined
advantage is their mean (advantage decomposition).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import torch

#: Cap on BNPO's weight 1/f(p̂): a density of 0 gives 1/0 = +inf, capped to 1e6 (as released).
WEIGHT_CAP = 1e6

GUARD_ZERO_VARIANCE = "zeroVariance"
GUARD_NON_FINITE_FIT = "nonFiniteFit"


class RewardBatchError(ValueError):
    """Rewards that BNPO cannot use; the message says which row, group or rule."""


@dataclass(frozen=True)
class BetaFit:
    """Method-of-moments Beta fit of one rule's p̂ (a, b are NaN when a guard fired)."""

    mean: float
    var: float
    a: float
    b: float
    alpha: float
    beta: float
    guard: str | None


@dataclass
class RuleStats:
    """What the metrics sink records for one rule and one step."""

    p_hat: list[float]
    fit: BetaFit
    zero_variance_share: float


@dataclass
class BnpoResult:
    """advantages[row]: the combined advantage; groups: group keys in first-appearance order."""

    advantages: torch.Tensor
    groups: list[Hashable]
    group_of_row: torch.Tensor
    first_rows: torch.Tensor
    rules: list[str]
    stats: dict[str, RuleStats] = field(default_factory=dict)


def fit_beta_from_moments(mean: float, variance: float) -> BetaFit:
    """k = m(1-m)/v - 1, a = k·m, b = k·(1-m), α = max(1, 1 + a/3), β = max(1, 1 + b/3); guards as specified."""
    if variance == 0:
        # GUARD: the released code yields NaN (or raises when every p̂ is 0 or 1); fall back to α = β = 1.
        return BetaFit(mean, variance, math.nan, math.nan, 1.0, 1.0, GUARD_ZERO_VARIANCE)
    k = mean * (1 - mean) / variance - 1
    if not math.isfinite(k):
        return BetaFit(mean, variance, math.nan, math.nan, 1.0, 1.0, GUARD_NON_FINITE_FIT)
    a = k * mean
    b = k * (1 - mean)
    # v > m(1-m) gives k < 0 and negative a, b; the clamp turns that into α = β = 1, as released.
    return BetaFit(mean, variance, a, b, max(1.0, 1 + a / 3), max(1.0, 1 + b / 3), None)


def fit_beta_moments(p_hat: torch.Tensor) -> BetaFit:
    """Fit over one p̂ per group; a single group uses m = 0, v = 1 like the released code (α = β = 1)."""
    n = p_hat.numel()
    if n == 0:
        raise RewardBatchError("no prompt groups to fit")
    if n == 1:
        return fit_beta_from_moments(0.0, 1.0)
    p = p_hat.to(torch.float64)
    mean = p.mean()
    variance = ((p - mean) ** 2).sum() / (n - 1)
    return fit_beta_from_moments(float(mean), float(variance))


def bnpo_weight(p_hat: torch.Tensor, alpha: float, beta: float) -> torch.Tensor:
    """w = min(1/f(p̂; α, β), 1e6), f evaluated as exp(log f) with xlogy semantics at p̂ ∈ {0, 1}."""
    p = p_hat.to(torch.float64)
    a = torch.tensor(alpha, dtype=torch.float64)
    b = torch.tensor(beta, dtype=torch.float64)
    log_b = torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)
    log_f = torch.special.xlogy(a - 1, p) + torch.special.xlog1py(b - 1, -p) - log_b
    return torch.clamp(1 / torch.exp(log_f), max=WEIGHT_CAP)


def group_rows(index: Sequence[Hashable]) -> tuple[list[Hashable], torch.Tensor, torch.Tensor, torch.Tensor]:
    """Group keys in first-appearance order, the group of every row, each group's size and first row."""
    keys: dict[Hashable, int] = {}
    of_row = []
    first_rows = []
    for row, key in enumerate(index):
        g = keys.setdefault(key, len(keys))
        if g == len(first_rows):
            first_rows.append(row)
        of_row.append(g)
    group_of_row = torch.tensor(of_row, dtype=torch.long)
    sizes = torch.bincount(group_of_row, minlength=len(keys))
    return list(keys), group_of_row, sizes, torch.tensor(first_rows, dtype=torch.long)


def bnpo_advantages(
    rewards: torch.Tensor,
    index: Sequence[Hashable],
    rules: Sequence[str] | None = None,
) -> BnpoResult:
    """BNPO advantages of B completions.

    rewards: [K, B] (or [B] for one rule), each in [0, 1]; index: B group keys (verl's uid).
    Returns the combined advantage per row (float64) and per-rule statistics.
    """
    # Small per-batch work with Python-side grouping: done on the CPU in float64 whatever the input device.
    r = rewards.detach().to(device="cpu", dtype=torch.float64)
    if r.dim() == 1:
        r = r.unsqueeze(0)
    if r.dim() != 2:
        raise RewardBatchError(f"rewards must be [rules, rows] or [rows], got shape {tuple(rewards.shape)}")
    num_rules, rows = r.shape
    names = list(rules) if rules is not None else (["reward"] if num_rules == 1 else [f"r{k}" for k in range(num_rules)])
    if len(names) != num_rules:
        raise RewardBatchError(f"{num_rules} reward rows but {len(names)} rule names")
    if rows == 0:
        raise RewardBatchError("no completions in the batch")
    if len(index) != rows:
        raise RewardBatchError(f"{rows} completions but {len(index)} group keys (uid)")
    bad = ~((r >= 0) & (r <= 1))
    if bool(bad.any()):
        k, row = (int(x) for x in bad.nonzero()[0])
        raise RewardBatchError(
            f"row {row}, rule '{names[k]}': reward {float(r[k, row])} is outside [0, 1]; "
            "BNPO needs binary (or [0, 1]) rewards per rule: rescale a summed reward or score each rule separately"
        )
    groups, group_of_row, sizes, first_rows = group_rows(index)
    small = (sizes < 2).nonzero()
    if small.numel() > 0:
        g = int(small[0])
        # GUARD: the released code sets p̂ = 0 for a lone completion, which can give weights of 1e6.
        raise RewardBatchError(
            f"group '{groups[g]}' has {int(sizes[g])} completion; BNPO needs at least 2 completions per prompt "
            "(set actor_rollout_ref.rollout.n >= 2)"
        )
    num_groups = len(groups)
    advantages = torch.zeros(rows, dtype=torch.float64)
    stats: dict[str, RuleStats] = {}
    for k, name in enumerate(names):
        rk = r[k]
        sums = torch.zeros(num_groups, dtype=torch.float64).index_add_(0, group_of_row, rk)
        first = rk[first_rows]
        spread = torch.zeros(num_groups, dtype=torch.float64).index_add_(0, group_of_row, (rk - first[group_of_row]).abs())
        constant = spread == 0
        # A constant group's exact mean is its value: R - p̂ stays exactly 0 there, for fractional rewards too.
        p_hat = torch.where(constant, first, sums / sizes.to(torch.float64))
        fit = fit_beta_moments(p_hat)
        weight = bnpo_weight(p_hat, fit.alpha, fit.beta)
        advantages += weight[group_of_row] * (rk - p_hat[group_of_row])
        stats[name] = RuleStats(
            p_hat=p_hat.tolist(),
            fit=fit,
            zero_variance_share=float(constant.sum()) / num_groups,
        )
    if num_rules > 1:
        advantages /= num_rules
    return BnpoResult(
        advantages=advantages,
        groups=groups,
        group_of_row=group_of_row,
        first_rows=first_rows,
        rules=names,
        stats=stats,
    )
