// One training run: SFT warm start (the base checkpoint), then the BNPO RL loop, writing the run directory as it goes.
// The parts: runHandle.ts (the run folder), control.ts (signals, IPC), sft.ts, rlStep.ts, records.ts (what each
// record holds), reporter.ts (trainer.log, the terminal and the host hear every event the same way).
// Control: SIGTERM, SIGINT or an IPC `stop` checkpoints and ends with status `stopped`; any error ends `failed`.
import * as os from 'node:os';
import { auditSetup, auditStartOf, RunAudit } from '../core/rules/auditRun';
import { AuditRecordSchema } from '../protocol/audit';
import type { RunConfig } from '../protocol/runConfig';
import { RUN_DIR_VERSION, type EvalRecord, type RunInfo } from '../protocol/runDir';
import type { CheckpointChoice } from '../runDir/checkpoints';
import { readJsonlFile } from '../runDir/jsonl';
import { runFile } from '../runDir/layout';
import { describeBackend, selectBackend } from './backend';
import { loadCheckpointWeights } from './checkpointWeights';
import { Control } from './control';
import { evaluate } from './evaluate';
import { yieldToEventLoop } from './gradient';
import { AdamW } from './optimizer';
import { auditStep, evalRecord, groupsRecord, metricsRecord, samplesRecords, stepLine } from './records';
import { fanOut, ipcReporter, logReporter, type Reporter } from './reporter';
import { Rng } from './rng';
import { rlStep, type Learner } from './rlStep';
import { pinInputs, pinnedConfig, RunHandle, type ResumeOptions } from './runHandle';
import type { PolicySource } from './policy';
import { policySource } from './policySource';
import { ConfigError, loadTask, type LoadedTask } from './setup';
import { unreachableRules, ZERO_VARIANCE_STEPS, ZeroVarianceWatch } from './ruleCheck';
import { warmStart } from './sft';

export { evaluate } from './evaluate';
export { gradientStep } from './gradient';
export { countRuleErrors } from './records';
export type { ProgressEvent } from './reporter';
export { ConfigError, loadTask, modelDims, type LoadedTask } from './setup';

export interface TrainOptions {
  readonly config: RunConfig;
  readonly configFile: string | null;
  /** Folder relative paths in the config resolve against. */
  readonly baseDir: string;
  /** Folder holding runs; a new run gets a new folder inside it. */
  readonly runsDir: string;
  /** Continue this run directory from its newest valid checkpoint instead of starting a new one. */
  readonly resumeDir?: string;
  readonly resume?: ResumeOptions;
  /** Who else hears the run's events (trainer.log and the IPC channel always do). */
  readonly reporters?: readonly Reporter[];
}

export interface TrainResult {
  readonly status: RunInfo['status'];
  readonly runDir: string;
  readonly baseAccuracy: number | null;
  readonly finalAccuracy: number | null;
  readonly steps: number;
  /** Seconds of training in all, summed over every invocation of the run. */
  readonly wall: number;
  readonly error: string | null;
}

const now = () => new Date().toISOString();
/** Enough demonstrations to find a rule none passes, few enough to score in well under a second. */
const DEMONSTRATIONS_CHECKED = 256;

interface Opened {
  readonly handle: RunHandle;
  readonly loaded: LoadedTask;
  readonly source: PolicySource;
  readonly config: RunConfig;
  readonly notes: readonly string[];
  /** On a resume, the checkpoint to continue from (its `chosen` is null when the warm start must run again). */
  readonly choice: CheckpointChoice | null;
}

/**
 * Opens (or creates) the run and loads what it trains on. A problem of the user's (a bad input, a locked or
 * corrupt run, a too-short context) is thrown before the run folder is created or changed.
 */
async function openRun(options: TrainOptions): Promise<Opened> {
  if (options.resumeDir === undefined) {
    const loaded = await loadTask(options.config, options.baseDir);
    const source = await policySource(options.config, loaded, options.baseDir);
    const handle = RunHandle.create(options.runsDir, options.config, options.configFile, options.baseDir);
    return { handle, loaded, source, config: options.config, notes: [], choice: null };
  }
  const { handle, notes } = RunHandle.reopen(options.resumeDir, options.resume ?? {});
  try {
    const config = handle.info.config;
    const inputs = handle.info.inputs;
    const loaded = await loadTask(
      inputs !== undefined ? pinnedConfig(config, inputs) : config,
      handle.baseDir,
    );
    const source = await policySource(config, loaded, handle.baseDir);
    const recorded = handle.info.modelInfo;
    if (recorded !== undefined && recorded.configSha256 !== source.info.configSha256)
      throw new ConfigError(
        `${source.info.path ?? 'the model'}: config.json changed since the run started (its checkpoints belong to the old one)`,
      );
    const choice = handle.chooseCheckpoint();
    return { handle, loaded, source, config, notes, choice };
  } catch (err) {
    handle.close();
    throw err;
  }
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { handle, loaded, source, config, notes, choice } = await openRun(options);
  const report = fanOut([
    logReporter((l) => handle.writer.log(l)),
    ipcReporter(),
    ...(options.reporters ?? []),
  ]);
  const resuming = options.resumeDir !== undefined;
  handle.save({
    status: 'running',
    pid: process.pid,
    host: os.hostname(),
    finishedAt: null,
    error: null,
    inputs: handle.info.inputs ?? pinInputs(config, loaded.rulesFile, handle.baseDir),
    modelInfo: source.info,
  });
  const control = new Control(report.log);
  const run = new Training(handle, loaded, source, config, control, report);
  try {
    report.log(`run ${handle.dir}${resuming ? ' (resumed)' : ''}`);
    notes.forEach((n) => report.log(n));
    return await run.execute(choice);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // The stack is for trainer.log; the terminal gets the message in the closing summary.
    handle.writer.log(`failed: ${e.stack ?? e.message}`);
    handle.save({
      status: 'failed',
      finishedAt: now(),
      error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    });
    report.finished('failed', e.message);
    return run.result('failed', null, e.message);
  } finally {
    control.dispose();
    run.dispose();
    handle.close();
  }
}

/** The state of one invocation of a run: the model, its optimizer, the random stream, and the step counters. */
class Training {
  private learner: Learner | null = null;
  private rng: Rng;
  private step = 0;
  private wallBefore = 0;
  private skippedSteps = 0;
  private readonly started = performance.now();

  constructor(
    private readonly handle: RunHandle,
    private readonly loaded: LoadedTask,
    private readonly source: PolicySource,
    private readonly config: RunConfig,
    private readonly control: Control,
    private readonly report: Required<Reporter>,
  ) {
    this.rng = new Rng(config.seed);
  }

  private wall(): number {
    return this.wallBefore + (performance.now() - this.started) / 1000;
  }

  result(status: RunInfo['status'], finalAccuracy: number | null, error: string | null): TrainResult {
    const info = this.handle.info;
    const steps = status === 'failed' ? info.step : this.step;
    return {
      status,
      runDir: this.handle.dir,
      baseAccuracy: info.baseAccuracy,
      finalAccuracy,
      steps,
      wall: this.wall(),
      error,
    };
  }

  async execute(choice: CheckpointChoice | null): Promise<TrainResult> {
    const { task, rules, accuracyRule } = this.loaded;
    this.handle.save({ rules: [...rules.names], rulesFile: this.loaded.rulesFile });
    this.report.log(
      `task ${task.name}; rules ${rules.names.join(', ')} from ${this.loaded.rulesFile}; accuracy = rule '${accuracyRule}'`,
    );
    this.warnUnreachableRules();
    const backend = await selectBackend(this.config.backend);
    this.report.log(describeBackend(backend));
    this.handle.save({ backend });
    this.report.started(this.handle.dir, this.handle.info.id, backend.name);
    const learner = this.build(choice);
    if (choice?.chosen != null) this.restore(choice);
    else if (!(await this.warmStartPhase(choice !== null))) return this.result('stopped', null, null);
    this.handle.save({ phase: 'rl' });
    await this.rlLoop(learner);
    if (this.control.stop) {
      await this.checkpoint(this.step);
      this.report.log(`stopped at step ${this.step} (${this.control.reason})`);
      this.handle.save({ status: 'stopped', finishedAt: now() });
      this.report.finished('stopped', null);
      return this.result('stopped', null, null);
    }
    if (this.step % this.config.checkpointEvery !== 0) await this.checkpoint(this.step);
    const finalAccuracy = await this.evalAndRecord(this.step, 'final');
    this.handle.save({ status: 'completed', phase: 'done', finishedAt: now(), finalAccuracy });
    this.report.finished('completed', null);
    return this.result('completed', finalAccuracy, null);
  }

  /** The model and optimizer; the vocabulary is the checkpoint's when continuing from one. */
  private build(choice: CheckpointChoice | null): Learner {
    const { policy, tokenizer } = this.source.build(this.rng, choice?.chosen?.meta);
    const optimizer = new AdamW(policy.params, {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: this.config.weightDecay,
    });
    this.learner = {
      policy,
      optimizer,
      tokenizer,
      loaded: this.loaded,
      config: this.config,
      maxNew: this.config.maxNewTokens ?? this.loaded.task.maxNew,
    };
    return this.learner;
  }

  private restore(choice: CheckpointChoice): void {
    const { policy, optimizer } = this.learner!;
    const chosen = choice.chosen!;
    const data = loadCheckpointWeights(policy.params, chosen.dir);
    optimizer.load({ step: data.meta.optimizerStep, m: data.moments.m, v: data.moments.v });
    this.rng = new Rng(data.meta.rng);
    this.step = data.meta.step;
    this.wallBefore = data.meta.wall;
    this.skippedSteps = data.meta.skippedSteps;
    const { dropped } = this.handle.writer.truncateAfter(this.step);
    this.report.log(`resume: ${choice.reason}`);
    this.report.log(
      `resumed from ${chosen.dir} at step ${this.step}; dropped ${dropped} records written after it`,
    );
    this.handle.recordHistory({
      event: 'resumed',
      time: now(),
      step: this.step,
      checkpoint: choice.reason,
      dropped,
    });
  }

  /** The warm start, its base evaluation and the step-0 checkpoint; false when stopped during it. */
  private async warmStartPhase(resuming: boolean): Promise<boolean> {
    // No checkpoint yet (killed during the warm start): it reruns, so nothing written before stays.
    if (resuming) this.handle.writer.truncateAfter(-1);
    this.handle.save({ phase: 'sft' });
    const sftSteps = await warmStart(this.learner!, this.rng, this.control, this.report);
    if (this.control.stop) {
      this.report.log(`stopped during the warm start (${this.control.reason}); a resume starts it again`);
      this.handle.save({ status: 'stopped', finishedAt: now() });
      this.report.finished('stopped', null);
      return false;
    }
    if (this.control.takeCheckpointRequest())
      this.report.log('the checkpoint asked for during the warm start is its base checkpoint, written now');
    this.report.log(`sft: done after ${sftSteps} steps`);
    const base = await this.evalAndRecord(0, 'base');
    this.handle.save({ baseAccuracy: base });
    await this.checkpoint(0);
    return true;
  }

  /** Says loudly (trainer.log, the CLI, run.json's `warnings`) what the run is likely to learn nothing from. */
  private warn(line: string): void {
    this.report.log(`warning: ${line}`);
    const known = this.handle.info.warnings ?? [];
    if (!known.includes(line)) this.handle.save({ warnings: [...known, line] });
  }

  private warnUnreachableRules(): void {
    const { task, rules } = this.loaded;
    const demonstrations = task.heldOut.slice(0, DEMONSTRATIONS_CHECKED);
    for (const line of unreachableRules(rules, demonstrations, new Set(task.tokenizer.vocab)))
      this.warn(line);
  }

  private async rlLoop(learner: Learner): Promise<void> {
    const { config } = this;
    const { rules, accuracyRule } = this.loaded;
    let lastEval: number | null = this.handle.info.baseAccuracy;
    const flat = new ZeroVarianceWatch();
    // a resumed run measures drift from the run's first step, which audit.jsonl still holds
    const [first] = readJsonlFile(runFile(this.handle.dir, 'audit'), AuditRecordSchema).records;
    const setup = auditSetup(rules.rules, config.maxNewTokens ?? this.loaded.task.maxNew, accuracyRule);
    const audit = new RunAudit(setup, first === undefined ? undefined : auditStartOf(first));
    while (this.step < config.steps && !this.control.stop) {
      const o = await rlStep(learner, this.rng, this.step + 1, this.skippedSteps, this.report.log);
      this.step = o.step;
      this.skippedSteps = o.skippedSteps;
      await yieldToEventLoop();
      const writer = this.handle.writer;
      const audited = auditStep(o, audit, config.groupSize);
      writer.audit(audited.record); // before metrics: a reader that sees step N's metrics has its audit too
      const m = metricsRecord(o, config, rules, accuracyRule, { time: now(), wall: this.wall() });
      writer.metrics(m);
      if (o.step <= ZERO_VARIANCE_STEPS) {
        const shares = rules.names.map((n) => o.adv.stats[n]?.zeroVarianceShare ?? 1);
        const warning = flat.observe(Math.min(...shares));
        if (warning !== undefined) this.warn(warning);
      }
      writer.groups(groupsRecord(o, rules));
      if (o.step % config.sampleEvery === 0)
        samplesRecords(o, config.groupSize, accuracyRule, audited.flags).forEach((r) => writer.samples(r));
      if (o.step % config.eval.every === 0 && o.step < config.steps)
        lastEval = await this.evalAndRecord(o.step, 'rl');
      this.handle.save({ step: o.step });
      this.report.progress({
        phase: 'rl',
        step: o.step,
        total: config.steps,
        reward: m.reward,
        accuracy: m.accuracy,
        evalAccuracy: lastEval,
        line: stepLine(m, config.steps, (o.marks[4] - o.marks[0]) / 1000),
      });
      const asked = this.control.takeCheckpointRequest();
      if (o.step % config.checkpointEvery === 0 || asked) await this.checkpoint(o.step);
    }
  }

  private async checkpoint(at: number): Promise<void> {
    const { policy, optimizer, tokenizer } = this.learner!;
    const params = [...policy.params.values()];
    const weights = await Promise.all(params.map(async (p) => (await p.data()) as Float32Array));
    const moments = await optimizer.state();
    const where = this.handle.writer.writeCheckpoint(
      {
        meta: {
          v: RUN_DIR_VERSION,
          step: at,
          time: now(),
          wall: this.wall(),
          skippedSteps: this.skippedSteps,
          rng: this.rng.state(),
          vocab: [...tokenizer.vocab],
          optimizerStep: moments.step,
          weights: [...policy.params].map(([name, p]) => ({ name, shape: p.shape })),
        },
        weights,
        moments,
      },
      this.config.checkpointKeep,
    );
    this.report.checkpointed(at, where);
  }

  private async evalAndRecord(at: number, phase: EvalRecord['phase']): Promise<number> {
    const { policy, tokenizer } = this.learner!;
    const r = await evaluate(policy, this.loaded, this.config, at, tokenizer);
    this.handle.writer.evalRecord(
      evalRecord(r, at, phase, this.config, this.loaded.task.heldOut.length, now()),
    );
    this.report.log(`eval (${phase}) step ${at}: held-out accuracy ${(100 * r.accuracy).toFixed(1)}%`);
    return r.accuracy;
  }

  dispose(): void {
    this.learner?.optimizer.dispose();
    this.learner?.policy.dispose();
  }
}
