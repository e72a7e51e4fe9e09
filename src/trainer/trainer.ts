// One training run: SFT warm start (the base checkpoint), then the BNPO RL loop, writing the run directory as it goes.
// Control: SIGTERM or an IPC `stop` checkpoints and ends with status `stopped`; any error ends with `failed`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { computeAdvantages } from '../core/estimators';
import { weightedSum, type CompiledRules, type RuleOutcome } from '../core/rules/engine';
import { HostToTrainerSchema, type TrainerToHost } from '../protocol/trainerIpc';
import type { RunConfig } from '../protocol/runConfig';
import {
  RUN_DIR_VERSION,
  type BackendInfo,
  type BetaFit,
  type EvalRecord,
  type MetricsRecord,
  type RunInfo,
} from '../protocol/runDir';
import { describeBackend, selectBackend } from './backend';
import { buildSeqBatch, groupLengths, lossAggregationFor, ppoLoss, sftLoss, targetLogProbs } from './losses';
import { Policy, type ModelDims } from './model';
import { AdamW } from './optimizer';
import { Rng } from './rng';
import { loadRulesFile } from './rulesFile';
import { generate } from './sampler';
import { builtinTask, datasetTask, type Example, type TaskSource } from './tasks';
import { CharTokenizer, EOS } from './tokenizer';
import { latestCheckpoint, readCheckpoint, readCheckpointMeta, RunWriter } from './runWriter';

export interface ProgressEvent {
  readonly phase: 'sft' | 'rl';
  readonly step: number;
  readonly total: number;
  readonly reward: number | null;
  readonly accuracy: number | null;
  readonly evalAccuracy: number | null;
  readonly line: string;
}

export interface TrainOptions {
  readonly config: RunConfig;
  readonly configFile: string | null;
  /** Folder relative paths in the config resolve against. */
  readonly baseDir: string;
  /** Folder holding runs; a new run gets a new folder inside it. */
  readonly runsDir: string;
  /** Continue this run directory from its latest checkpoint instead of starting a new one. */
  readonly resumeDir?: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  readonly onLog?: (line: string) => void;
}

export interface TrainResult {
  readonly status: RunInfo['status'];
  readonly runDir: string;
  readonly baseAccuracy: number | null;
  readonly finalAccuracy: number | null;
  readonly steps: number;
  readonly error: string | null;
}

export interface LoadedTask {
  readonly task: TaskSource;
  readonly rules: CompiledRules;
  readonly rulesFile: string;
  readonly accuracyRule: string;
}

/** The task, its rules and the rule that counts as "correct" (first `answer` rule, else the first reward rule). */
export async function loadTask(config: RunConfig, baseDir: string): Promise<LoadedTask> {
  const task =
    config.dataset !== undefined
      ? datasetTask(config.dataset, baseDir, config.maxNewTokens)
      : builtinTask(config.task, config.digits);
  const rulesFile = config.rules !== undefined ? path.resolve(baseDir, config.rules) : task.defaultRules;
  if (rulesFile === null) throw new Error('a dataset needs a reward-rule file (`rules`)');
  const fields =
    config.dataset !== undefined
      ? [...new Set(task.heldOut.flatMap((e) => Object.keys(e.sample)))]
      : undefined;
  const loaded = await loadRulesFile(rulesFile, fields);
  const compiled = loaded.compiled;
  if (compiled.names.length === 0)
    throw new Error(`${rulesFile}: no rule is a reward (every rule has "reward": false)`);
  const answer = compiled.rules.rules.find((r) => r.reward && r.kind === 'answer');
  return { task, rules: compiled, rulesFile, accuracyRule: answer?.name ?? compiled.names[0]! };
}

export function modelDims(config: RunConfig, task: TaskSource, vocab: number): ModelDims {
  const maxNew = config.maxNewTokens ?? task.maxNew;
  const needed = task.maxPrompt + maxNew;
  const context = config.model.context ?? needed;
  if (context < needed) {
    throw new Error(
      `model.context ${context} is shorter than prompt (${task.maxPrompt}) + completion (${maxNew})`,
    );
  }
  return { ...config.model, vocab, context };
}

interface Scored {
  readonly text: string;
  readonly outcomes: RuleOutcome[];
}

function scoreAll(rules: CompiledRules, texts: readonly string[], samples: readonly Example[]): Scored[] {
  return texts.map((text, i) => ({ text, outcomes: rules.evaluate(text, samples[i]!.sample) }));
}

/**
 * A rule that throws on one completion scores 0 there (the engine catches it); the run goes on, and each step
 * counts such errors per rule for metrics.jsonl and names the first in trainer.log.
 */
export function countRuleErrors(scored: readonly { readonly outcomes: readonly RuleOutcome[] }[]): {
  counts: Record<string, number>;
  first: string | null;
} {
  const counts: Record<string, number> = {};
  let first: string | null = null;
  for (const s of scored) {
    for (const o of s.outcomes) {
      if (o.error === undefined) continue;
      counts[o.name] = (counts[o.name] ?? 0) + 1;
      first ??= `${o.name}: ${o.error}`;
    }
  }
  return { counts, first };
}

function rewardOf(s: Scored, rule: string): number {
  return s.outcomes.find((o) => o.name === rule)?.reward ?? 0;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * On wasm and cpu every await resolves as a microtask, so a step loop never reaches the event loop on its own and
 * SIGTERM or IPC messages would wait until the run ends. Yield once per step.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

class StopSignal {
  stop = false;
  checkpoint = false;
  reason = '';
}

/** Held-out evaluation: greedy (temperature 0) or sampled with a stream seeded by (seed, step). */
export async function evaluate(
  policy: Policy,
  loaded: LoadedTask,
  config: RunConfig,
  step: number,
  tokenizer: CharTokenizer = loaded.task.tokenizer,
): Promise<{ accuracy: number; rewards: Record<string, number>; examples: EvalRecord['examples'] }> {
  const { task, rules, accuracyRule } = loaded;
  const examples = task.heldOut.slice(0, config.eval.size);
  const rng = new Rng(config.seed * 7919 + step + 1);
  const scored: Scored[] = [];
  for (let at = 0; at < examples.length; at += 256) {
    const chunk = examples.slice(at, at + 256);
    const rollout = await generate(
      policy,
      chunk.map((e) => tokenizer.encode(e.prompt)),
      { temperature: config.eval.temperature, topP: 1, maxNew: config.maxNewTokens ?? task.maxNew, rng },
    );
    scored.push(
      ...scoreAll(
        rules,
        rollout.tokens.map((t) => tokenizer.decode(t)),
        chunk,
      ),
    );
  }
  const rewards = Object.fromEntries(rules.names.map((n) => [n, mean(scored.map((s) => rewardOf(s, n)))]));
  return {
    accuracy: mean(scored.map((s) => rewardOf(s, accuracyRule))),
    rewards,
    examples: scored.slice(0, 5).map((s, i) => ({
      prompt: examples[i]!.prompt,
      completion: s.text,
      answer: examples[i]!.target,
      correct: rewardOf(s, accuracyRule) === 1,
    })),
  };
}

/** Gradients of `lossFn`, their global norm, and an update unless the norm (or loss) is not finite. */
export async function gradientStep(
  policy: Pick<Policy, 'params'>,
  optimizer: AdamW,
  lr: number,
  gradClip: number,
  lossFn: () => { loss: tf.Scalar; extra: tf.Scalar },
): Promise<{ loss: number; gradNorm: number; extra: number; skipped: boolean }> {
  const vars = [...policy.params.values()];
  let extra: tf.Scalar | null = null;
  const { value, grads: byVariable } = tf.variableGrads(() => {
    const r = lossFn();
    extra = tf.keep(r.extra);
    return r.loss;
  }, vars);
  // variableGrads keys gradients by tfjs's process-wide variable names; the optimizer keys by parameter name.
  const grads: tf.NamedTensorMap = {};
  for (const [name, v] of policy.params) {
    const g = byVariable[v.name];
    if (g !== undefined) grads[name] = g;
  }
  const stats = tf.tidy(() => {
    const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.stack([value, tf.sqrt(tf.addN(sq)), extra ?? tf.scalar(0)]);
  });
  // The one readback of the step: loss, gradient norm and the clip count together.
  const [loss, gradNorm, extraValue] = Array.from(await stats.data());
  tf.dispose([stats, value, extra ?? []]);
  const skipped = !Number.isFinite(loss!) || !Number.isFinite(gradNorm!);
  if (!skipped) optimizer.apply(grads, lr, Math.min(1, gradClip / Math.max(gradNorm!, 1e-12)));
  tf.dispose(Object.values(grads));
  return { loss: loss!, gradNorm: gradNorm!, extra: extraValue!, skipped };
}

function newRunId(config: RunConfig, runsDir: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const base = `${stamp}-${config.name ?? (config.dataset !== undefined ? 'dataset' : config.task)}-${config.estimator}-s${config.seed}`;
  let id = base;
  for (let n = 2; fs.existsSync(path.join(runsDir, id)); n++) id = `${base}-${n}`;
  return id;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const resuming = options.resumeDir !== undefined;
  let runDir: string;
  let writer: RunWriter;
  let info: RunInfo;
  const now = () => new Date().toISOString();
  let config = options.config;
  if (resuming) {
    runDir = path.resolve(options.resumeDir);
    writer = new RunWriter(runDir);
    info = writer.readRunInfo();
    config = info.config;
    if (info.status === 'completed')
      throw new Error(`${runDir}: the run already completed; nothing to resume`);
  } else {
    fs.mkdirSync(options.runsDir, { recursive: true });
    const id = newRunId(config, options.runsDir);
    runDir = path.join(options.runsDir, id);
    writer = new RunWriter(runDir);
    info = {
      v: RUN_DIR_VERSION,
      id,
      status: 'running',
      phase: 'setup',
      config,
      configFile: options.configFile,
      rules: [],
      rulesFile: '',
      backend: null,
      createdAt: now(),
      updatedAt: now(),
      finishedAt: null,
      pid: process.pid,
      host: os.hostname(),
      step: 0,
      totalSteps: config.steps,
      baseAccuracy: null,
      finalAccuracy: null,
      error: null,
    };
  }
  const log = (line: string) => {
    writer.log(line);
    options.onLog?.(line);
  };
  const send = (msg: TrainerToHost) => {
    if (process.send !== undefined && process.connected) process.send(msg);
  };
  const save = (patch: Partial<RunInfo>) => {
    info = { ...info, ...patch, updatedAt: now() };
    writer.writeRunInfo(info);
  };
  save({ status: 'running', pid: process.pid, host: os.hostname(), finishedAt: null, error: null });

  const signal = new StopSignal();
  const onTerm = () => {
    signal.stop = true;
    signal.reason = 'SIGTERM';
  };
  const onMessage = (raw: unknown) => {
    const msg = HostToTrainerSchema.safeParse(raw);
    if (!msg.success) return log(`ignored an unknown IPC message: ${JSON.stringify(raw)}`);
    if (msg.data.type === 'stop') {
      signal.stop = true;
      signal.reason = 'stop message';
    } else signal.checkpoint = true;
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  process.on('message', onMessage);

  let policy: Policy | null = null;
  let optimizer: AdamW | null = null;
  try {
    const loaded = await loadTask(config, options.baseDir);
    const { task, rules, accuracyRule } = loaded;
    save({ rules: [...rules.names], rulesFile: loaded.rulesFile });
    log(`run ${runDir}${resuming ? ' (resumed)' : ''}`);
    log(
      `task ${task.name}; rules ${rules.names.join(', ')} from ${loaded.rulesFile}; accuracy = rule '${accuracyRule}'`,
    );
    const backend: BackendInfo = await selectBackend(config.backend);
    log(describeBackend(backend));
    save({ backend });
    send({ type: 'started', runDir, runId: info.id, backend: backend.name });

    const checkpointDir = resuming ? latestCheckpoint(runDir) : null;
    const vocab = checkpointDir !== null ? readCheckpointMeta(checkpointDir).vocab : task.tokenizer.vocab;
    const tokenizer = new CharTokenizer(vocab);
    const dims = modelDims(config, task, tokenizer.size);
    const maxNew = config.maxNewTokens ?? task.maxNew;
    let rng = new Rng(config.seed);
    policy = new Policy(dims, rng);
    const params = [...policy.params.values()];
    optimizer = new AdamW(policy.params, {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: config.weightDecay,
    });
    let step = 0;
    let wallBefore = 0;
    let skippedSteps = 0;
    const started = performance.now();
    const wall = () => wallBefore + (performance.now() - started) / 1000;

    const checkpoint = async (at: number) => {
      const weights = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array));
      const moments = await optimizer!.state();
      const where = writer.writeCheckpoint(
        {
          meta: {
            v: RUN_DIR_VERSION,
            step: at,
            time: now(),
            wall: wall(),
            skippedSteps,
            rng: rng.state(),
            vocab: [...tokenizer.vocab],
            optimizerStep: moments.step,
            weights: [...policy!.params].map(([name, p]) => ({ name, shape: p.shape })),
          },
          weights,
          moments,
        },
        3,
      );
      log(`checkpoint ${where}`);
      send({ type: 'checkpointed', step: at, path: where });
    };

    const evalAndRecord = async (at: number, phase: EvalRecord['phase']) => {
      const r = await evaluate(policy!, loaded, config, at, tokenizer);
      writer.evalRecord({
        v: RUN_DIR_VERSION,
        step: at,
        time: now(),
        phase,
        temperature: config.eval.temperature,
        size: Math.min(config.eval.size, task.heldOut.length),
        accuracy: r.accuracy,
        rewards: r.rewards,
        examples: r.examples,
      });
      log(`eval (${phase}) step ${at}: held-out accuracy ${(100 * r.accuracy).toFixed(1)}%`);
      return r.accuracy;
    };

    if (checkpointDir !== null) {
      const data = readCheckpoint(
        checkpointDir,
        params.map((p) => p.size),
      );
      tf.tidy(() => params.forEach((p, i) => p.assign(tf.tensor(data.weights[i]!, p.shape))));
      optimizer.load({ step: data.meta.optimizerStep, m: data.moments.m, v: data.moments.v });
      rng = new Rng(data.meta.rng);
      step = data.meta.step;
      wallBefore = data.meta.wall;
      skippedSteps = data.meta.skippedSteps;
      const { dropped } = writer.truncateAfter(step);
      log(`resumed from ${checkpointDir} at step ${step}; dropped ${dropped} records written after it`);
    } else {
      // No checkpoint yet (killed during the warm start): the warm start reruns, so nothing written before stays.
      if (resuming) writer.truncateAfter(-1);
      // Supervised warm start. Its optimizer is separate: the RL optimizer starts fresh from the base.
      save({ phase: 'sft' });
      const sftOptimizer = new AdamW(policy.params);
      let acc = await evaluateQuick(policy, loaded, config, tokenizer);
      let sftStep = 0;
      log(`sft: start, held-out accuracy ${(100 * acc).toFixed(1)}%`);
      while (sftStep < config.sft.maxSteps && acc < config.sft.targetAccuracy && !signal.stop) {
        const batch = Array.from({ length: config.sft.batchSize }, () => task.nextTrain(rng));
        const seq = buildSeqBatch(
          batch.map((e) => tokenizer.encode(e.prompt)),
          batch.map((e) => [...tokenizer.encode(e.target), EOS]),
        );
        const r = await gradientStep(policy, sftOptimizer, config.sft.lr, 1, () => ({
          loss: sftLoss(targetLogProbs(policy!, seq, 1), seq),
          extra: tf.scalar(0),
        }));
        sftStep++;
        await yieldToEventLoop();
        if (sftStep % config.sft.evalEvery === 0) {
          acc = await evaluateQuick(policy, loaded, config, tokenizer);
          const line = `sft step ${sftStep}: loss ${r.loss.toFixed(3)}, held-out accuracy ${(100 * acc).toFixed(1)}%`;
          log(line);
          options.onProgress?.({
            phase: 'sft',
            step: sftStep,
            total: config.sft.maxSteps,
            reward: null,
            accuracy: null,
            evalAccuracy: acc,
            line,
          });
          send({
            type: 'progress',
            phase: 'sft',
            step: sftStep,
            totalSteps: config.sft.maxSteps,
            reward: null,
            accuracy: acc,
          });
        }
      }
      sftOptimizer.dispose();
      if (signal.stop) {
        log(`stopped during the warm start (${signal.reason}); a resume starts it again`);
        save({ status: 'stopped', finishedAt: now() });
        send({ type: 'finished', status: 'stopped', error: null });
        return { status: 'stopped', runDir, baseAccuracy: null, finalAccuracy: null, steps: 0, error: null };
      }
      log(`sft: done after ${sftStep} steps`);
      const base = await evalAndRecord(0, 'base');
      save({ baseAccuracy: base });
      await checkpoint(0);
    }

    save({ phase: 'rl' });
    const { groupSize: G, promptsPerStep: N } = config;
    let lastEval: number | null = info.baseAccuracy;
    while (step < config.steps && !signal.stop) {
      const t0 = performance.now();
      const examples = Array.from({ length: N }, () => task.nextTrain(rng));
      const repeated = examples.flatMap((e) => new Array<Example>(G).fill(e));
      const promptTokens = repeated.map((e) => tokenizer.encode(e.prompt));
      const rollout = await generate(policy, promptTokens, {
        temperature: config.temperature,
        topP: config.topP,
        maxNew,
        rng,
      });
      const t1 = performance.now();
      const scored = scoreAll(
        rules,
        rollout.tokens.map((t) => tokenizer.decode(t)),
        repeated,
      );
      const groups = examples.map((_, i) =>
        scored
          .slice(i * G, (i + 1) * G)
          .map(
            (s) => Object.fromEntries(s.outcomes.map((o) => [o.name, o.reward])) as Record<string, number>,
          ),
      );
      const ruleErrors = countRuleErrors(scored);
      if (ruleErrors.first !== null) {
        const counts = Object.entries(ruleErrors.counts).map(([n, c]) => `${n} ×${c}`);
        log(`step ${step + 1}: rules threw (scored 0): ${counts.join(', ')}; first: ${ruleErrors.first}`);
      }
      const t2 = performance.now();
      const adv = computeAdvantages(groups, config.estimator, groupLengths(rollout.tokens, G));
      const flatAdv = adv.advantages.flat();
      const t3 = performance.now();
      const seq = buildSeqBatch(promptTokens, rollout.tokens, rollout.logProbs);
      const lr = config.lr * Math.min(1, (step + 1) / (config.warmupSteps + 1));
      const r = await gradientStep(policy, optimizer, lr, config.gradClip, () => {
        const out = ppoLoss(
          targetLogProbs(policy!, seq, config.temperature),
          seq,
          flatAdv,
          config.clip,
          lossAggregationFor(config.estimator, maxNew),
        );
        return { loss: out.loss, extra: out.clipped };
      });
      const t4 = performance.now();
      step++;
      await yieldToEventLoop();
      if (r.skipped) skippedSteps++;

      const maskedTokens = seq.lossMask.flat().reduce((a, b) => a + b, 0);
      const rewards = Object.fromEntries(
        rules.names.map((n) => [n, mean(scored.map((s) => rewardOf(s, n)))]),
      );
      const totalWeight = rules.names.reduce((s, n) => s + (rules.weights[n] ?? 1), 0);
      const beta: Record<string, BetaFit> = Object.fromEntries(
        Object.entries(adv.stats).map(([n, s]) => [
          n,
          { a: finiteOrNull(s.a), b: finiteOrNull(s.b), alpha: s.alpha, beta: s.beta, guard: s.guard },
        ]),
      );
      const accuracy = rewards[accuracyRule] ?? 0;
      const record: MetricsRecord = {
        v: RUN_DIR_VERSION,
        step,
        time: now(),
        wall: wall(),
        estimator: config.estimator,
        rewards,
        reward: mean(scored.map((s) => weightedSum(s.outcomes, rules.weights) / totalWeight)),
        accuracy,
        loss: r.skipped ? null : r.loss,
        clipFraction: maskedTokens > 0 ? r.extra / maskedTokens : 0,
        gradNorm: finiteOrNull(r.gradNorm),
        entropy: rollout.tokenCount > 0 ? rollout.entropySum / rollout.tokenCount : 0,
        completionLength: rollout.tokenCount / repeated.length,
        zeroVarianceShare: adv.stats[accuracyRule]?.zeroVarianceShare ?? 0,
        beta,
        tokensPerSecond: rollout.tokenCount / ((t4 - t0) / 1000),
        skipped: r.skipped,
        skippedSteps,
        ruleErrors: ruleErrors.counts,
        lr,
        timings: { sampling: t1 - t0, scoring: t2 - t1, advantage: t3 - t2, update: t4 - t3 },
      };
      writer.metrics(record);
      writer.groups({
        v: RUN_DIR_VERSION,
        step,
        rules: [...rules.names],
        groups: examples.map((e, i) => ({
          id: e.id,
          pHat: Object.fromEntries(rules.names.map((n) => [n, adv.stats[n]?.pHat[i] ?? 0])),
        })),
      });
      if (step % config.sampleEvery === 0) {
        examples.forEach((e, i) => {
          writer.samples({
            v: RUN_DIR_VERSION,
            step,
            promptId: e.id,
            prompt: e.prompt,
            sample: { ...e.sample },
            completions: scored.slice(i * G, (i + 1) * G).map((s, j) => ({
              text: s.text,
              tokens: rollout.tokens[i * G + j]!.length,
              rewards: Object.fromEntries(s.outcomes.map((o) => [o.name, o.reward])),
              reasons: Object.fromEntries(s.outcomes.map((o) => [o.name, o.reason])),
              advantage: adv.advantages[i]![j]!,
              correct: rewardOf(s, accuracyRule) === 1,
            })),
          });
        });
      }
      if (step % config.eval.every === 0 && step < config.steps) lastEval = await evalAndRecord(step, 'rl');
      save({ step });
      const line =
        `step ${step}/${config.steps} reward ${record.reward.toFixed(3)} accuracy ${(100 * accuracy).toFixed(1)}%` +
        ` loss ${r.skipped ? 'skipped' : r.loss.toFixed(4)} grad ${r.gradNorm.toFixed(3)}` +
        ` ${((t4 - t0) / 1000).toFixed(2)}s`;
      writer.log(line);
      options.onProgress?.({
        phase: 'rl',
        step,
        total: config.steps,
        reward: record.reward,
        accuracy,
        evalAccuracy: lastEval,
        line,
      });
      send({
        type: 'progress',
        phase: 'rl',
        step,
        totalSteps: config.steps,
        reward: record.reward,
        accuracy,
      });
      if (step % config.checkpointEvery === 0 || signal.checkpoint) {
        signal.checkpoint = false;
        await checkpoint(step);
      }
    }

    if (signal.stop) {
      await checkpoint(step);
      log(`stopped at step ${step} (${signal.reason})`);
      save({ status: 'stopped', finishedAt: now() });
      send({ type: 'finished', status: 'stopped', error: null });
      return {
        status: 'stopped',
        runDir,
        baseAccuracy: info.baseAccuracy,
        finalAccuracy: null,
        steps: step,
        error: null,
      };
    }
    if (step % config.checkpointEvery !== 0) await checkpoint(step);
    const finalAccuracy = await evalAndRecord(step, 'final');
    save({ status: 'completed', phase: 'done', finishedAt: now(), finalAccuracy });
    send({ type: 'finished', status: 'completed', error: null });
    return {
      status: 'completed',
      runDir,
      baseAccuracy: info.baseAccuracy,
      finalAccuracy,
      steps: step,
      error: null,
    };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    log(`failed: ${e.stack ?? e.message}`);
    save({
      status: 'failed',
      finishedAt: now(),
      error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    });
    send({ type: 'finished', status: 'failed', error: e.message });
    return {
      status: 'failed',
      runDir,
      baseAccuracy: info.baseAccuracy,
      finalAccuracy: null,
      steps: info.step,
      error: e.message,
    };
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
    process.off('message', onMessage);
    optimizer?.dispose();
    policy?.dispose();
    writer.close();
  }
}

/** SFT progress check: the same held-out evaluation (and temperature) as the reported base accuracy. */
async function evaluateQuick(
  policy: Policy,
  loaded: LoadedTask,
  config: RunConfig,
  tokenizer: CharTokenizer,
): Promise<number> {
  const r = await evaluate(policy, loaded, config, 0, tokenizer);
  return r.accuracy;
}
