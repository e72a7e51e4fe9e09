// kill -9 soak: one run is killed at six points in a row — inside a checkpoint write (twice), inside an atomic
// replace (run.json's, or a stream's truncation on resume) twice, and at two random steps — and resumed after each;
// the finished run must hold exactly the records of an uninterrupted run of the same seed, and nothing left over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RunInfoSchema } from '../../src/protocol/runDir';
import { Rng } from '../../src/trainer/rng';
import { comparable } from './runRecords';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const STEPS = 18;

const config = {
  task: 'sorting',
  digits: 3,
  steps: STEPS,
  promptsPerStep: 2,
  groupSize: 3,
  model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 4, batchSize: 8, evalEvery: 2, targetAccuracy: 0.9 },
  eval: { every: 6, size: 8, temperature: 0.6 },
  sampleEvery: 2,
  checkpointEvery: 3,
  seed: 3,
  backend: 'wasm',
};

const stepsWritten = (dir: string) =>
  fs.existsSync(path.join(dir, 'metrics.jsonl'))
    ? fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').length - 1
    : 0;

function leftovers(dir: string): string[] {
  const names = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  return [...names(dir), ...names(path.join(dir, 'checkpoints'))].filter(
    (n) => n.includes('.tmp-') || n === 'run.lock',
  );
}

/** Runs `bnpo train ARGS`; with `killAfter`, SIGKILLs it once the run has that many steps. */
async function bnpo(
  args: string[],
  env: Record<string, string>,
  runDirOf: () => string | null,
  killAfter?: number,
): Promise<NodeJS.Signals | number | null> {
  const child = spawn(process.execPath, [cli, 'train', ...args], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const exit = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  if (killAfter !== undefined) {
    const timer = setInterval(() => {
      const dir = runDirOf();
      if (dir !== null && stepsWritten(dir) >= killAfter) child.kill('SIGKILL');
    }, 5);
    const r = await exit;
    clearInterval(timer);
    return r;
  }
  return exit;
}

describe('kill -9 soak (dist/cli.js, wasm)', () => {
  it('six kills at random and worst-case points, each resumed: the same records as a straight run, nothing left', async () => {
    assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-soak-'));
    const configFile = path.join(work, 'soak.bnporun.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    const straightDir = path.join(work, 'straight');
    assert.equal(await bnpo(['--config', configFile, '--out', straightDir], {}, () => null), 0);
    const straight = fs.readdirSync(straightDir).map((n) => path.join(straightDir, n))[0]!;

    const runs = path.join(work, 'runs');
    const runDir = () =>
      fs.existsSync(runs) ? (fs.readdirSync(runs).map((n) => path.join(runs, n))[0] ?? null) : null;
    const rng = new Rng(Number(process.env.BNPO_SOAK_SEED ?? Date.now() % 100000));
    const randomStep = (from: number) => from + 1 + Math.floor(rng.next() * 4);
    // Each entry: how this invocation dies. checkpoint-write:N dies between weights.bin and optimizer.bin of the
    // N-th checkpoint this process writes; atomic-write:N after the N-th temp file, before its rename.
    const kills: { env?: string; after?: 'random' }[] = [
      { env: 'checkpoint-write:2' },
      { env: `atomic-write:${3 + Math.floor(rng.next() * 6)}` },
      { after: 'random' },
      { env: 'checkpoint-write:1' },
      { env: `atomic-write:${4 + Math.floor(rng.next() * 8)}` },
      { after: 'random' },
    ];
    const seen: string[] = [];
    for (const [i, kill] of kills.entries()) {
      const args = i === 0 ? ['--config', configFile, '--out', runs] : ['--resume', runDir()!];
      const env: Record<string, string> = kill.env !== undefined ? { BNPO_KILL_AT: kill.env } : {};
      const before = runDir() === null ? 0 : stepsWritten(runDir()!);
      const r = await bnpo(args, env, runDir, kill.after ? randomStep(before) : undefined);
      const what = `${kill.env ?? `after step ${before}+`}`;
      if (r !== 'SIGKILL') {
        // The run ended before this kill point was reached: the remaining kills have nothing to kill.
        assert.equal(r, 0, `${what}: exit ${r}`);
        break;
      }
      seen.push(what);
      const left = leftovers(runDir()!);
      if (kill.env?.startsWith('checkpoint-write'))
        assert.ok(
          left.some((n) => n.startsWith('.tmp-step-')),
          `${what}: no temp checkpoint left: ${left.join(', ')}`,
        );
      if (kill.env?.startsWith('atomic-write'))
        assert.ok(
          left.some((n) => /\.tmp-\d+$/.test(n)),
          `${what}: no temp file left: ${left.join(', ')}`,
        );
    }
    assert.ok(seen.length >= 6, `only ${seen.length} kills landed: ${seen.join('; ')}`);
    assert.equal(await bnpo(['--resume', runDir()!], {}, runDir), 0);
    const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(path.join(runDir()!, 'run.json'), 'utf8')));
    assert.equal(info.status, 'completed');
    assert.deepEqual(comparable(runDir()!), comparable(straight));
    assert.deepEqual(leftovers(runDir()!), []);
    // A kill before a resume got as far as recording itself leaves no entry; the last resume always records one.
    assert.ok((info.history ?? []).some((h) => h.event === 'resumed'));
  });
});
