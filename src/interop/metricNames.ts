// Which foreign metric means which of ours. A name is mapped only where both measure the same thing over the same
// population; everything else stays an extra series under its own name, so nothing logged is lost.
//
// Read from the sources of TRL 1.16.0 (`trl/trainer/grpo_trainer.py`: `GRPOTrainer._metrics` keys, plus the
// `loss`, `grad_norm`, `learning_rate` that transformers' Trainer adds to each log) and verl 0.9.1
// (`verl/trainer/ppo/metric_utils.py` `compute_data_metrics`, the actor's `actor/*` metrics). TensorBoard tags
// written by TRL carry transformers' `train/` prefix (its TensorBoardCallback); verl writes its keys unchanged.

/** The MetricsRecord fields a foreign series can stand for (see src/protocol/runDir.ts). */
export const MAPPED_FIELDS = [
  'reward',
  'accuracy',
  'loss',
  'clipFraction',
  'gradNorm',
  'entropy',
  'completionLength',
  'zeroVarianceShare',
  'tokensPerSecond',
  'lr',
] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

export type MetricTarget =
  | { readonly kind: 'field'; readonly field: MappedField }
  | { readonly kind: 'rule'; readonly rule: string }
  | { readonly kind: 'extra'; readonly name: string };

const EXACT: Readonly<Record<string, MappedField>> = {
  // TRL: mean over the step's completions of the weighted reward sum; `rewards/<f>/mean` is one function's.
  reward: 'reward',
  frac_reward_zero_std: 'zeroVarianceShare',
  'completions/mean_length': 'completionLength',
  loss: 'loss',
  grad_norm: 'gradNorm',
  entropy: 'entropy',
  // TRL's share of tokens clipped low or high; ours counts both sides too.
  'clip_ratio/region_mean': 'clipFraction',
  learning_rate: 'lr',
  // verl: `critic/score` is the reward function's sequence score (`critic/rewards` adds the KL penalty).
  'critic/score/mean': 'reward',
  'actor/pg_loss': 'loss',
  'actor/grad_norm': 'gradNorm',
  'actor/entropy': 'entropy',
  'response_length/mean': 'completionLength',
  'actor/pg_clipfrac': 'clipFraction',
  'actor/lr': 'lr',
};

/** What `bnpo export-tensorboard` writes, so an exported run imports back onto the same fields. */
const OWN = new Set<string>(MAPPED_FIELDS);
const OWN_RULE = /^rewards\/([^/]+)$/;
const TRL_RULE = /^rewards\/(.+)\/mean$/;
const TRANSFORMERS_TRAIN_PREFIX = 'train/';

/** Our name for a foreign metric name (a TensorBoard tag, a TRL log key or a verl metric key). */
export function mapMetricName(tag: string): MetricTarget {
  const name = tag.startsWith(TRANSFORMERS_TRAIN_PREFIX) ? tag.slice(TRANSFORMERS_TRAIN_PREFIX.length) : tag;
  const field = EXACT[name] ?? (OWN.has(name) ? (name as MappedField) : undefined);
  if (field !== undefined) return { kind: 'field', field };
  const rule = TRL_RULE.exec(name) ?? OWN_RULE.exec(name);
  if (rule?.[1] !== undefined) return { kind: 'rule', rule: rule[1] };
  return { kind: 'extra', name: tag };
}

/** The TensorBoard tag `bnpo export-tensorboard` gives a per-rule reward. */
export function ruleRewardTag(rule: string): string {
  return `rewards/${rule}`;
}
