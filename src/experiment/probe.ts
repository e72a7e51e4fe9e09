// The gradient-variance probe: at one checkpoint, draw several independent rollout batches on one fixed set of
// prompts, and compute every estimator's policy gradient on each batch (same parameters, same prompts, same
// completions), exactly as the trainer computes it at the first PPO step (ratio 1: the clip is inactive). The trace
// of the covariance of those gradients over the batches is the estimator's gradient variance.
import * as tf from '@tensorflow/tfjs-core';
import { computeAdvantages, type EstimatorName, type LossAggregation } from '../core/estimators';
import type { EstimatorVariance, VarianceRecord } from '../protocol/experiment';
import { EXPERIMENT_VERSION } from '../protocol/experiment';
import type { RunConfig } from '../protocol/runConfig';
import { selectBackend } from '../trainer/backend';
import {
  buildSeqBatch,
  groupLengths,
  lossAggregationFor,
  ppoLoss,
  targetLogProbs,
  type LossAggregationSpec,
  type SeqBatch,
} from '../trainer/losses';
import { Policy } from '../trainer/model';
import { Rng } from '../trainer/rng';
import { readCheckpoint, readCheckpointMeta } from '../runDir/checkpoints';
import { generate } from '../trainer/sampler';
import { CharTokenizer } from '../trainer/tokenizer';
import type { Example } from '../trainer/tasks';
import { loadTask, modelDims, type LoadedTask } from '../trainer/trainer';
import { CovarianceTrace, scalarMultiple } from './metrics';

export interface ProbeOptions {
  /** Configuration of the run whose checkpoint is probed (model size, sampling temperature, clip, task). */
  readonly config: RunConfig;
  readonly checkpointDir: string;
  readonly estimators: readonly EstimatorName[];
  readonly batches: number;
  readonly prompts: number;
  /** Seeds the prompt set and the rollout streams; the same value gives the same prompts at every checkpoint. */
  readonly seed: number;
  readonly baseDir: string;
}

export type ProbeResult = Omit<VarianceRecord, 'v' | 'task' | 'seed' | 'checkpoint' | 'time'>;

/** The gradients in parameter order, as one vector. tfjs keys them by its own variable names, not the policy's. */
async function flatten(
  grads: tf.NamedTensorMap,
  params: ReadonlyMap<string, tf.Variable>,
  dim: number,
): Promise<Float64Array> {
  const out = new Float64Array(dim);
  let at = 0;
  for (const [name, variable] of params) {
    const g = grads[variable.name];
    if (g === undefined) throw new Error(`no gradient for parameter ${name}`);
    // data(), not dataSync(): the WebGPU backend cannot read synchronously in Node.
    const values = await g.data();
    out.set(values, at);
    at += values.length;
  }
  if (at !== dim) throw new Error(`gradient has ${at} values, expected ${dim}`);
  return out;
}

type BetaFit = { a: number; b: number; alpha: number; beta: number };

/** What every batch of one probe shares: the checkpoint's policy, its task and the fixed prompt set. */
interface ProbeContext {
  readonly options: ProbeOptions;
  readonly loaded: LoadedTask;
  readonly tokenizer: CharTokenizer;
  readonly policy: Policy;
  readonly vars: tf.Variable[];
  /** Total number of parameters: the length of a flattened gradient. */
  readonly dim: number;
  readonly examples: readonly Example[];
  /** Each example's prompt, repeated groupSize times (one group per example). */
  readonly promptTokens: readonly number[][];
  readonly maxNew: number;
}

/** Sums over the batches, per estimator, and the accuracy rule's Beta fit of every batch that has one. */
interface ProbeTotals {
  readonly cov: Map<EstimatorName, CovarianceTrace>;
  readonly advSq: Map<EstimatorName, number>;
  readonly fits: BetaFit[];
}

/** A gradient already taken in this batch, kept so that estimators with proportional advantages can reuse it. */
interface TakenGradient {
  readonly adv: number[];
  readonly aggregation: LossAggregation;
  readonly grad: Float64Array;
}

/** Loads the checkpoint's weights into the policy; returns its parameters in order and their total size. */
function loadWeights(policy: Policy, checkpointDir: string): { vars: tf.Variable[]; dim: number } {
  const vars = [...policy.params.values()];
  const data = readCheckpoint(
    checkpointDir,
    vars.map((p) => p.size),
  );
  tf.tidy(() => vars.forEach((p, i) => p.assign(tf.tensor(data.weights[i]!, p.shape))));
  return { vars, dim: vars.reduce((n, p) => n + p.size, 0) };
}

/** The policy gradient of one estimator's advantages on the batch, reusing a proportional one when there is one. */
async function gradientFor(
  ctx: ProbeContext,
  seq: SeqBatch,
  adv: number[],
  aggregation: LossAggregationSpec,
  taken: TakenGradient[],
): Promise<{ grad: Float64Array; scale: number }> {
  for (const c of taken) {
    const m = c.aggregation === aggregation.mode ? scalarMultiple(adv, c.adv) : null;
    if (m !== null) return { grad: c.grad, scale: m };
  }
  const { config } = ctx.options;
  const { grads, value } = tf.variableGrads(
    () =>
      ppoLoss(targetLogProbs(ctx.policy, seq, config.temperature), seq, adv, config.clip, aggregation).loss,
    ctx.vars,
  );
  const grad = await flatten(grads, ctx.policy.params, ctx.dim);
  tf.dispose([value, ...Object.values(grads)]);
  taken.push({ adv, aggregation: aggregation.mode, grad });
  return { grad, scale: 1 };
}

/** Draws rollout batch k on the fixed prompts and adds every estimator's gradient on it to the totals. */
async function probeBatch(ctx: ProbeContext, k: number, totals: ProbeTotals): Promise<void> {
  const { options, loaded, tokenizer, examples, promptTokens, maxNew } = ctx;
  const { config, estimators } = options;
  const G = config.groupSize;
  const rng = new Rng(options.seed * 7_919 + 104_729 * (k + 1));
  const rollout = await generate(ctx.policy, promptTokens, {
    temperature: config.temperature,
    topP: config.topP,
    maxNew,
    rng,
  });
  const groups = examples.map((e, i) =>
    rollout.tokens.slice(i * G, (i + 1) * G).map((t) => {
      const outcomes = loaded.rules.evaluate(tokenizer.decode(t), e.sample);
      return Object.fromEntries(outcomes.map((o) => [o.name, o.reward]));
    }),
  );
  const seq = buildSeqBatch(promptTokens, rollout.tokens, rollout.logProbs);
  const lengths = groupLengths(rollout.tokens, G);
  // One backward pass per distinct (advantage vector, loss aggregation): an estimator whose advantages are
  // a multiple of an earlier one's under the same aggregation reuses that gradient, scaled (the gradient
  // is linear in the advantages).
  const taken: TakenGradient[] = [];
  for (const estimator of estimators) {
    const result = computeAdvantages(groups, estimator, lengths);
    const aggregation = lossAggregationFor(estimator, maxNew);
    const adv = result.advantages.flat();
    // Every estimator's result carries the same per-rule Beta fit of the batch; record it once.
    if (estimator === estimators[0]) {
      const s = result.stats[loaded.accuracyRule];
      if (s !== undefined && s.guard === null)
        totals.fits.push({ a: s.a, b: s.b, alpha: s.alpha, beta: s.beta });
    }
    totals.advSq.set(
      estimator,
      totals.advSq.get(estimator)! + adv.reduce((acc, x) => acc + x * x, 0) / adv.length,
    );
    const { grad, scale } = await gradientFor(ctx, seq, adv, aggregation, taken);
    totals.cov.get(estimator)!.add(grad, scale);
  }
}

/** The probe's result from the totals over all batches. */
function probeResult(ctx: ProbeContext, totals: ProbeTotals, started: number): ProbeResult {
  const { options } = ctx;
  const out: Record<string, EstimatorVariance> = {};
  for (const estimator of options.estimators) {
    const c = totals.cov.get(estimator)!;
    const traceCov = c.trace();
    const meanNormSq = c.meanNormSq();
    out[estimator] = {
      traceCov,
      meanNormSq,
      relVar: meanNormSq > 0 ? traceCov / meanNormSq : null,
      advSecondMoment: totals.advSq.get(estimator)! / options.batches,
    };
  }
  const { fits } = totals;
  const mean = (f: (x: BetaFit) => number) => fits.reduce((s, x) => s + f(x), 0) / fits.length;
  return {
    batches: options.batches,
    prompts: options.prompts,
    groupSize: options.config.groupSize,
    parameters: ctx.dim,
    rule: ctx.loaded.accuracyRule,
    fit:
      fits.length === 0
        ? null
        : {
            a: mean((x) => x.a),
            b: mean((x) => x.b),
            alpha: mean((x) => x.alpha),
            beta: mean((x) => x.beta),
            batches: fits.length,
          },
    estimators: out,
    seconds: (performance.now() - started) / 1000,
  };
}

export async function probeGradientVariance(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const { config, estimators } = options;
  const loaded = await loadTask(config, options.baseDir);
  const { task } = loaded;
  await selectBackend(config.backend);
  const meta = readCheckpointMeta(options.checkpointDir);
  const tokenizer = new CharTokenizer(meta.vocab);
  const policy = new Policy(modelDims(config, task, tokenizer.size), new Rng(0));
  try {
    const { vars, dim } = loadWeights(policy, options.checkpointDir);
    const G = config.groupSize;
    const promptRng = new Rng(options.seed * 1_000_003 + 0x9e37);
    const examples = Array.from({ length: options.prompts }, () => task.nextTrain(promptRng));
    const repeated = examples.flatMap((e) => Array.from({ length: G }, () => e));
    const ctx: ProbeContext = {
      options,
      loaded,
      tokenizer,
      policy,
      vars,
      dim,
      examples,
      promptTokens: repeated.map((e) => tokenizer.encode(e.prompt)),
      maxNew: config.maxNewTokens ?? task.maxNew,
    };
    const totals: ProbeTotals = {
      cov: new Map(estimators.map((e) => [e, new CovarianceTrace(dim)])),
      advSq: new Map(estimators.map((e) => [e, 0])),
      fits: [],
    };
    for (let k = 0; k < options.batches; k++) await probeBatch(ctx, k, totals);
    return probeResult(ctx, totals, started);
  } finally {
    policy.dispose();
  }
}

export function varianceRecord(
  result: ProbeResult,
  where: Pick<VarianceRecord, 'task' | 'seed' | 'checkpoint'>,
): VarianceRecord {
  return { v: EXPERIMENT_VERSION, ...where, ...result, time: new Date().toISOString() };
}
