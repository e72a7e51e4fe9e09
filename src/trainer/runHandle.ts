// The trainer's hold on its run directory: created or reopened under the run's lock, run.json kept current, and
// on a resume everything checked before anything is written — the lock, the status, the pinned input files, what
// a killed writer left behind, and which checkpoint to continue from.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSubject, type RunConfig } from '../protocol/runConfig';
import { RUN_DIR_VERSION, type RunInfo, type RunInputs } from '../protocol/runDir';
import { cleanLeftovers, selectCheckpoint, type CheckpointChoice } from '../runDir/checkpoints';
import { RunDirError } from '../runDir/errors';
import { acceptChanges, changedInputs, pinFile } from '../runDir/inputs';
import { readJsonlFile } from '../runDir/jsonl';
import { runFile } from '../runDir/layout';
import { acquireLock, type HeldLock } from '../runDir/lock';
import { requireRunInfo } from '../runDir/runInfo';
import { RunWriter } from '../runDir/writer';
import { MetricsRecordSchema } from '../protocol/runDir';

const now = () => new Date().toISOString();

export interface ResumeOptions {
  /** Extend the run to this many RL steps (recorded in run.json's history). */
  readonly steps?: number;
  /** Continue even though a pinned input file changed (recorded in run.json's history). */
  readonly acceptChangedInputs?: boolean;
}

function newRunId(config: RunConfig, runsDir: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const base = `${stamp}-${config.name ?? runSubject(config)}-${config.estimator}-s${config.seed}`;
  let id = base;
  for (let n = 2; fs.existsSync(path.join(runsDir, id)); n++) id = `${base}-${n}`;
  return id;
}

/** The config with its input files replaced by the pinned absolute paths: what a resume loads. */
export function pinnedConfig(config: RunConfig, inputs: RunInputs): RunConfig {
  const dataset =
    config.dataset === undefined
      ? undefined
      : {
          ...config.dataset,
          train: inputs.dataset.train?.path ?? config.dataset.train,
          ...(config.dataset.heldOut !== undefined
            ? { heldOut: inputs.dataset.heldOut?.path ?? config.dataset.heldOut }
            : {}),
        };
  return { ...config, rules: inputs.rules.path, ...(dataset !== undefined ? { dataset } : {}) };
}

/** Pins (absolute path + SHA-256) the rules file and the dataset files a config trains on. */
export function pinInputs(config: RunConfig, rulesFile: string, baseDir: string): RunInputs {
  const dataset: RunInputs['dataset'] = {};
  if (config.dataset !== undefined) {
    dataset.train = pinFile(path.resolve(baseDir, config.dataset.train));
    if (config.dataset.heldOut !== undefined)
      dataset.heldOut = pinFile(path.resolve(baseDir, config.dataset.heldOut));
  }
  return { rules: pinFile(rulesFile), dataset };
}

export class RunHandle {
  readonly writer: RunWriter;

  private constructor(
    readonly dir: string,
    public info: RunInfo,
    private readonly lock: HeldLock,
    /** Folder the config's relative paths resolve against (the config file's folder). */
    readonly baseDir: string,
  ) {
    this.writer = new RunWriter(dir);
  }

  get resumed(): boolean {
    return this.info.step > 0 || this.info.phase !== 'setup';
  }

  /** A new run folder inside `runsDir`, locked. */
  static create(runsDir: string, config: RunConfig, configFile: string | null, baseDir: string): RunHandle {
    fs.mkdirSync(runsDir, { recursive: true });
    const id = newRunId(config, runsDir);
    const dir = path.join(runsDir, id);
    // The name is validated by the config schema; this holds even for a config built in code.
    if (path.dirname(dir) !== path.resolve(runsDir))
      throw new RunDirError(`run name '${id}' is not a folder name`);
    fs.mkdirSync(dir);
    const lock = acquireLock(dir);
    const info: RunInfo = {
      v: RUN_DIR_VERSION,
      id,
      status: 'running',
      phase: 'setup',
      config,
      configFile,
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
    return new RunHandle(dir, info, lock, baseDir);
  }

  /** Reopens `dir` to continue it; a RunDirError (nothing written) when it cannot be. */
  static reopen(dir: string, options: ResumeOptions): { handle: RunHandle; notes: string[] } {
    const full = path.resolve(dir);
    requireRunInfo(full);
    const lock = acquireLock(full);
    try {
      const info = requireRunInfo(full);
      const notes: string[] = [];
      const extended = extendSteps(info, options.steps);
      if (info.status === 'completed' && extended === info)
        throw new RunDirError(`${full}: the run already completed; nothing to resume (--steps N extends it)`);
      const baseDir = info.configFile !== null ? path.dirname(info.configFile) : process.cwd();
      const checked = checkInputs(extended, options.acceptChangedInputs === true);
      notes.push(...checked.notes);
      for (const left of cleanLeftovers(full)) notes.push(`removed ${left}, left by a killed writer`);
      if (lock.replaced !== null) notes.push(`took over the stale lock of pid ${lock.replaced.pid}`);
      return { handle: new RunHandle(full, checked.info, lock, baseDir), notes };
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  save(patch: Partial<RunInfo>): void {
    this.info = { ...this.info, ...patch, updatedAt: now() };
    this.writer.writeRunInfo(this.info);
  }

  recordHistory(event: NonNullable<RunInfo['history']>[number]): void {
    this.save({ history: [...(this.info.history ?? []), event] });
  }

  /** The checkpoint to continue from; refuses when records exist that no valid checkpoint holds. */
  chooseCheckpoint(): CheckpointChoice {
    const choice = selectCheckpoint(this.dir);
    if (choice.chosen !== null) return choice;
    const steps = readJsonlFile(runFile(this.dir, 'metrics'), MetricsRecordSchema).records.length;
    if (choice.rejected.length > 0 || steps > 0) {
      throw new RunDirError(
        `${this.dir}: ${choice.reason}; resuming would drop ${steps} recorded RL steps, so it is refused (move the run aside to start over)`,
      );
    }
    return choice;
  }

  close(): void {
    this.writer.close();
    this.lock.release();
  }
}

function extendSteps(info: RunInfo, steps: number | undefined): RunInfo {
  if (steps === undefined || steps === info.config.steps) return info;
  if (steps < info.step)
    throw new RunDirError(
      `--steps ${steps}: the run already has ${info.step} RL steps; it can only be extended`,
    );
  return {
    ...info,
    status: info.status === 'completed' ? 'stopped' : info.status,
    config: { ...info.config, steps },
    totalSteps: steps,
    history: [
      ...(info.history ?? []),
      { event: 'extended', time: now(), from: info.config.steps, to: steps },
    ],
  };
}

function checkInputs(info: RunInfo, accept: boolean): { info: RunInfo; notes: string[] } {
  if (info.inputs === undefined) return { info, notes: [] };
  const changes = changedInputs(info.inputs);
  if (changes.length === 0) return { info, notes: [] };
  if (!accept) {
    const files = changes.map((c) => c.file).join(', ');
    throw new RunDirError(
      `${files}: changed since the run started (SHA-256 differs from run.json); resume with --accept-changed-inputs to train on the new content`,
    );
  }
  const history = changes.map((c) => ({ event: 'inputChanged' as const, time: now(), ...c }));
  return {
    info: {
      ...info,
      inputs: acceptChanges(info.inputs, changes),
      history: [...(info.history ?? []), ...history],
    },
    notes: changes.map((c) => `accepted the changed ${c.file} (recorded in run.json)`),
  };
}
