import assert from 'node:assert/strict';
import { spawn, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { MetricsRecordSchema, RunInfoSchema } from '../../src/protocol/runDir';
import { RunConfigSchema, type RunConfigInput } from '../../src/protocol/runConfig';
import { TrainerToHostSchema } from '../../src/protocol/trainerIpc';
import { latestCheckpoint, readCheckpointMeta } from '../../src/runDir/checkpoints';
import { train } from '../../src/trainer/trainer';
import { comparable, readRecords } from './runRecords';
import { registerGradientsForTests } from './trainerSetup';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

const tiny: RunConfigInput = {
  task: 'sorting',
  digits: 3,
  steps: 8,
  promptsPerStep: 3,
  groupSize: 3,
  lr: 3e-3,
  model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 4, batchSize: 8, evalEvery: 2, targetAccuracy: 0.9 },
  eval: { every: 4, size: 12, temperature: 0.6 },
  sampleEvery: 2,
  checkpointEvery: 5,
  seed: 11,
};

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-run-'));
}

function onlyRun(runsDir: string): string {
  const runs = fs.readdirSync(runsDir);
  assert.equal(runs.length, 1);
  return path.join(runsDir, runs[0]!);
}

function writeConfig(dir: string, config: RunConfigInput): string {
  const file = path.join(dir, 'run.bnpo.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stepsWritten(runsDir: string): number {
  if (!fs.existsSync(runsDir)) return 0;
  const runs = fs.readdirSync(runsDir);
  if (runs.length === 0) return 0;
  const file = path.join(runsDir, runs[0]!, 'metrics.jsonl');
  if (!fs.existsSync(file)) return 0;
  return fs.readFileSync(file, 'utf8').split('\n').length - 1;
}

describe('training runs (cpu, in process)', () => {
  before(() => registerGradientsForTests());

  it('repeats the same metrics for the same seed and config, and differs for another seed', async () => {
    const config = RunConfigSchema.parse({ ...tiny, backend: 'cpu' });
    const dirs = [tmpDir(), tmpDir(), tmpDir()];
    const seeds = [config.seed, config.seed, config.seed + 1];
    for (let i = 0; i < 3; i++) {
      const r = await train({
        config: { ...config, seed: seeds[i]! },
        configFile: null,
        baseDir: root,
        runsDir: dirs[i]!,
      });
      assert.equal(r.status, 'completed', r.error ?? '');
    }
    const [a, b, c] = dirs.map((d) => comparable(onlyRun(d)));
    assert.equal(a!.metrics.length, config.steps);
    assert.deepEqual(
      a!.metrics.map((m) => m.step),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(a, b);
    assert.notDeepEqual(a!.metrics, c!.metrics);
    const info = RunInfoSchema.parse(
      JSON.parse(fs.readFileSync(path.join(onlyRun(dirs[0]!), 'run.json'), 'utf8')),
    );
    assert.equal(info.status, 'completed');
    assert.equal(info.backend?.name, 'cpu');
    assert.equal(info.step, config.steps);
    assert.notEqual(info.baseAccuracy, null);
    assert.notEqual(info.finalAccuracy, null);
    assert.match(path.basename(onlyRun(dirs[0]!)), /-sorting-bnpo-s11$/);
  });

  it('records no task for a dataset run, even when the config names one', async () => {
    const examples = path.join(root, 'media', 'examples');
    const { task: _builtin, digits: _digits, ...rest } = tiny;
    const config = RunConfigSchema.parse({
      ...rest,
      task: 'addition',
      dataset: { train: 'reverse.jsonl' },
      rules: 'reverse.rewards.json',
      steps: 1,
      backend: 'cpu',
    });
    const runsDir = tmpDir();
    const r = await train({ config, configFile: null, baseDir: examples, runsDir });
    assert.equal(r.status, 'completed', r.error ?? '');
    const raw = JSON.parse(fs.readFileSync(path.join(r.runDir, 'run.json'), 'utf8')) as {
      config: Record<string, unknown>;
    };
    assert.equal('task' in raw.config, false, `run.json config: ${JSON.stringify(raw.config)}`);
    assert.deepEqual(raw.config['dataset'], { train: 'reverse.jsonl', heldOutFraction: 0.1 });
    assert.match(path.basename(r.runDir), /-dataset-bnpo-s11$/);
  });
});

describe('the trainer process (dist/cli.js, wasm)', () => {
  before(() => {
    assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
  });

  it('continues after SIGKILL from the latest checkpoint with no gap or duplicate step, exactly as an uninterrupted run', async () => {
    const config = { ...tiny, steps: 40, backend: 'wasm' as const };
    const work = tmpDir();
    const configFile = writeConfig(work, config);
    const runsDir = path.join(work, 'runs');
    const child = spawn(process.execPath, [cli, 'train', '--config', configFile, '--out', runsDir], {
      stdio: 'ignore',
    });
    const done = exited(child);
    await waitFor(() => stepsWritten(runsDir) >= 12, 'twelve steps');
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL', 'the run finished before it could be killed');
    const runDir = onlyRun(runsDir);
    const before = readRecords(runDir, 'metrics.jsonl', MetricsRecordSchema).length;
    assert.ok(before >= 12 && before < 40, String(before));
    const ckpt = readCheckpointMeta(latestCheckpoint(runDir)!);
    assert.ok(ckpt.step >= 10 && ckpt.step <= before, `checkpoint at ${ckpt.step}, ${before} steps written`);

    const resumed = spawn(process.execPath, [cli, 'train', '--resume', runDir], { stdio: 'ignore' });
    assert.equal((await exited(resumed)).code, 0);
    const after = comparable(runDir);
    assert.deepEqual(
      after.metrics.map((m) => m.step),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      after.groups.map((g) => g.step),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    assert.equal(info.status, 'completed');

    const straightDir = path.join(work, 'straight');
    const straight = spawn(process.execPath, [cli, 'train', '--config', configFile, '--out', straightDir], {
      stdio: 'ignore',
    });
    assert.equal((await exited(straight)).code, 0);
    assert.deepEqual(after, comparable(onlyRun(straightDir)));
  });

  it('refuses a dataset with a bad line before creating any run (exit 2, file:line on stderr)', async () => {
    const work = tmpDir();
    fs.writeFileSync(path.join(work, 'train.jsonl'), '{"prompt":"1+1=","answer":"2"}\n{"prompt":"2+2="\n');
    fs.writeFileSync(
      path.join(work, 'rules.rewards.json'),
      JSON.stringify({ rules: [{ name: 'correct', kind: 'answer', extract: { type: 'lastNumber' } }] }),
    );
    const configFile = writeConfig(work, { dataset: { train: 'train.jsonl' }, rules: 'rules.rewards.json' });
    const runsDir = path.join(work, 'runs');
    const child = spawn(process.execPath, [cli, 'train', '--config', configFile, '--out', runsDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    assert.equal((await exited(child)).code, 2);
    assert.match(
      stderr,
      new RegExp(`${path.join(work, 'train.jsonl').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not JSON`),
    );
    assert.equal(fs.existsSync(runsDir), false);
  });

  it('checkpoints and ends with status stopped on SIGTERM', async () => {
    const work = tmpDir();
    const configFile = writeConfig(work, { ...tiny, steps: 400, checkpointEvery: 100, backend: 'wasm' });
    const runsDir = path.join(work, 'runs');
    const child = spawn(process.execPath, [cli, 'train', '--config', configFile, '--out', runsDir], {
      stdio: 'ignore',
    });
    const done = exited(child);
    await waitFor(() => stepsWritten(runsDir) >= 3, 'three steps');
    child.kill('SIGTERM');
    assert.deepEqual(await done, { code: 0, signal: null });
    const runDir = onlyRun(runsDir);
    const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')));
    assert.equal(info.status, 'stopped');
    const steps = readRecords(runDir, 'metrics.jsonl', MetricsRecordSchema).length;
    assert.ok(steps < 400);
    assert.equal(readCheckpointMeta(latestCheckpoint(runDir)!).step, steps);
    assert.equal(info.step, steps);
  });

  it('stops on an IPC stop message when forked, and reports over the channel', async () => {
    const work = tmpDir();
    const configFile = writeConfig(work, { ...tiny, steps: 400, checkpointEvery: 100, backend: 'wasm' });
    const runsDir = path.join(work, 'runs');
    const child = fork(cli, ['train', '--config', configFile, '--out', runsDir], { stdio: 'ignore' });
    const messages: string[] = [];
    child.on('message', (raw) => {
      const msg = TrainerToHostSchema.parse(raw);
      messages.push(msg.type);
      if (msg.type === 'progress' && msg.phase === 'rl' && msg.step === 2) child.send({ type: 'stop' });
    });
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    assert.equal(messages[0], 'started');
    assert.ok(messages.includes('checkpointed'));
    assert.equal(messages[messages.length - 1], 'finished');
    const info = RunInfoSchema.parse(
      JSON.parse(fs.readFileSync(path.join(onlyRun(runsDir), 'run.json'), 'utf8')),
    );
    assert.equal(info.status, 'stopped');
  });

  it('writes a checkpoint when asked over IPC and reports it back with checkpointed', async () => {
    const work = tmpDir();
    const configFile = writeConfig(work, { ...tiny, steps: 400, checkpointEvery: 100, backend: 'wasm' });
    const runsDir = path.join(work, 'runs');
    const child = fork(cli, ['train', '--config', configFile, '--out', runsDir], { stdio: 'ignore' });
    const checkpointed: { step: number; path: string }[] = [];
    child.on('message', (raw) => {
      const msg = TrainerToHostSchema.parse(raw);
      if (msg.type === 'progress' && msg.phase === 'rl' && msg.step === 2) child.send({ type: 'checkpoint' });
      if (msg.type === 'checkpointed') {
        checkpointed.push({ step: msg.step, path: msg.path });
        if (msg.step > 0) child.send({ type: 'stop' });
      }
    });
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    // step-0 (the base), the one asked for (at the end of the step it arrived in), then the one of the stop.
    assert.equal(checkpointed[0]!.step, 0);
    const asked = checkpointed[1]!;
    assert.ok(asked.step >= 2 && asked.step <= 3, String(asked.step));
    assert.equal(path.basename(asked.path), `step-${asked.step}`);
    assert.equal(readCheckpointMeta(asked.path).step, asked.step);
  });
});
