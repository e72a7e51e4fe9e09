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
import { buildSeqBatch, groupLengths, lossAggregationFor, ppoLoss, targetLogProbs } from '../trainer/losses';
import { Policy } from '../trainer/model';
import { Rng } from '../trainer/rng';
import { readCheckpoint, readCheckpointMeta } from '../runDir/checkpoints';
import { generate } from '../trainer/sampler';
import { CharTokenizer } from '../trainer/tokenizer';
import { loadTask, modelDims } from '../trainer/trainer';
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

export async function probeGradientVariance(options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const { config, estimators } = options;
  const loaded = await loadTask(config, options.baseDir);
  const { task, rules, accuracyRule } = loaded;
  await selectBackend(config.backend);
  const meta = readCheckpointMeta(options.checkpointDir);
  const tokenizer = new CharTokenizer(meta.vocab);
  const policy = new Policy(modelDims(config, task, tokenizer.size), new Rng(0));
  try {
    const vars = [...policy.params.values()];
    const data = readCheckpoint(
      options.checkpointDir,
      vars.map((p) => p.size),
    );
    tf.tidy(() => vars.forEach((p, i) => p.assign(tf.tensor(data.weights[i]!, p.shape))));
    const dim = vars.reduce((n, p) => n + p.size, 0);

    const G = config.groupSize;
    const promptRng = new Rng(options.seed * 1_000_003 + 0x9e37);
    const examples = Array.from({ length: options.prompts }, () => task.nextTrain(promptRng));
    const repeated = examples.flatMap((e) => Array.from({ length: G }, () => e));
    const promptTokens = repeated.map((e) => tokenizer.encode(e.prompt));
    const maxNew = config.maxNewTokens ?? task.maxNew;

    const cov = new Map(estimators.map((e) => [e, new CovarianceTrace(dim)]));
    const advSq = new Map(estimators.map((e) => [e, 0]));
    const fits: { a: number; b: number; alpha: number; beta: number }[] = [];

    for (let k = 0; k < options.batches; k++) {
      const rng = new Rng(options.seed * 7_919 + 104_729 * (k + 1));
      const rollout = await generate(policy, promptTokens, {
        temperature: config.temperature,
        topP: config.topP,
        maxNew,
        rng,
      });
      const groups = examples.map((e, i) =>
        rollout.tokens.slice(i * G, (i + 1) * G).map((t) => {
          const outcomes = rules.evaluate(tokenizer.decode(t), e.sample);
          return Object.fromEntries(outcomes.map((o) => [o.name, o.reward]));
        }),
      );
      const seq = buildSeqBatch(promptTokens, rollout.tokens, rollout.logProbs);
      const lengths = groupLengths(rollout.tokens, G);
      // One backward pass per distinct (advantage vector, loss aggregation): an estimator whose advantages are
      // a multiple of an earlier one's under the same aggregation reuses that gradient, scaled (the gradient
      // is linear in the advantages).
      const computed: { adv: number[]; aggregation: LossAggregation; grad: Float64Array }[] = [];
      for (const estimator of estimators) {
        const result = computeAdvantages(groups, estimator, lengths);
        const aggregation = lossAggregationFor(estimator, maxNew);
        const adv = result.advantages.flat();
        // Every estimator's result carries the same per-rule Beta fit of the batch; record it once.
        if (estimator === estimators[0]) {
          const s = result.stats[accuracyRule];
          if (s !== undefined && s.guard === null)
            fits.push({ a: s.a, b: s.b, alpha: s.alpha, beta: s.beta });
        }
        advSq.set(estimator, advSq.get(estimator)! + adv.reduce((acc, x) => acc + x * x, 0) / adv.length);
        let grad: Float64Array | null = null;
        let scale = 1;
        for (const c of computed) {
          const m = c.aggregation === aggregation.mode ? scalarMultiple(adv, c.adv) : null;
          if (m !== null) {
            grad = c.grad;
            scale = m;
            break;
          }
        }
        if (grad === null) {
          const { grads, value } = tf.variableGrads(
            () =>
              ppoLoss(targetLogProbs(policy, seq, config.temperature), seq, adv, config.clip, aggregation)
                .loss,
            vars,
          );
          grad = await flatten(grads, policy.params, dim);
          tf.dispose([value, ...Object.values(grads)]);
          computed.push({ adv, aggregation: aggregation.mode, grad });
        }
        cov.get(estimator)!.add(grad, scale);
      }
    }

    const out: Record<string, EstimatorVariance> = {};
    for (const estimator of estimators) {
      const c = cov.get(estimator)!;
      const traceCov = c.trace();
      const meanNormSq = c.meanNormSq();
      out[estimator] = {
        traceCov,
        meanNormSq,
        relVar: meanNormSq > 0 ? traceCov / meanNormSq : null,
        advSecondMoment: advSq.get(estimator)! / options.batches,
      };
    }
    const mean = (f: (x: (typeof fits)[number]) => number) =>
      fits.reduce((s, x) => s + f(x), 0) / fits.length;
    return {
      batches: options.batches,
      prompts: options.prompts,
      groupSize: G,
      parameters: dim,
      rule: accuracyRule,
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
