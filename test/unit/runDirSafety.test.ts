// A run folder is safe to continue: one writer (the lock), the newest *valid* checkpoint (verified against its
// shapes and checksums, never a pointer out of the run), no leftovers of a killed writer, names that stay inside
// --out. These run without a model: checkpoints are written from plain arrays.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { RUN_DIR_VERSION } from '../../src/protocol/runDir';
import {
  cleanLeftovers,
  listCheckpoints,
  selectCheckpoint,
  writeCheckpoint,
} from '../../src/runDir/checkpoints';
import { RunDirError } from '../../src/runDir/errors';
import { RUN_FILES } from '../../src/runDir/layout';
import { acquireLock, isLocked, processStartTime, readLock } from '../../src/runDir/lock';
import { Control } from '../../src/trainer/control';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-safety-'));
}

/** A checkpoint of a two-tensor "model" whose values encode its step. */
function fakeCheckpoint(dir: string, step: number, keep = 10): string {
  const shapes = [[2, 3], [4]];
  const weights = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(step));
  return writeCheckpoint(
    dir,
    {
      meta: {
        v: RUN_DIR_VERSION,
        step,
        time: new Date().toISOString(),
        wall: step,
        skippedSteps: 0,
        rng: [1, 2, 3, 4],
        vocab: ['a'],
        optimizerStep: step,
        weights: shapes.map((shape, i) => ({ name: `w${i}`, shape })),
      },
      weights,
      moments: { m: weights, v: weights },
    },
    keep,
  );
}

describe('checkpoint selection', () => {
  it('passes over a truncated, a corrupted and a meta-less checkpoint, and says why', () => {
    const dir = tmpDir();
    for (const step of [0, 2, 4, 6, 8]) fakeCheckpoint(dir, step);
    const ck = (step: number, file: string) => path.join(dir, 'checkpoints', `step-${step}`, file);
    fs.truncateSync(ck(8, 'weights.bin'), 10);
    const bytes = fs.readFileSync(ck(6, 'optimizer.bin'));
    bytes[3] = bytes[3]! ^ 0xff;
    fs.writeFileSync(ck(6, 'optimizer.bin'), bytes);
    fs.rmSync(ck(4, 'meta.json'));
    const choice = selectCheckpoint(dir);
    assert.equal(choice.chosen?.step, 2);
    assert.deepEqual(
      choice.rejected.map((r) => r.name),
      ['step-8', 'step-6', 'step-4'],
    );
    assert.match(choice.rejected[0]!.why, /weights\.bin: 10 bytes, its shapes need 40/);
    assert.match(choice.rejected[1]!.why, /optimizer\.bin: checksum differs/);
    assert.match(choice.rejected[2]!.why, /meta\.json: missing/);
    assert.match(choice.reason, /^step-2: the newest valid checkpoint; passed over step-8/);
  });

  it('never follows `latest` out of the run, and lists instead', () => {
    const dir = tmpDir();
    fakeCheckpoint(dir, 0);
    fakeCheckpoint(dir, 3);
    fs.writeFileSync(path.join(dir, 'checkpoints', 'latest'), '../../elsewhere\n');
    const choice = selectCheckpoint(dir);
    assert.equal(choice.chosen?.step, 3);
    assert.match(choice.rejected[0]!.why, /not a checkpoint folder of this run/);
    fs.writeFileSync(path.join(dir, 'checkpoints', 'latest'), 'step-99\n');
    assert.equal(selectCheckpoint(dir).chosen?.step, 3, 'a pointer to a folder that is gone');
  });

  it('prunes to step-0 and the newest `checkpointKeep`', () => {
    const dir = tmpDir();
    for (const step of [0, 5, 10, 15, 20]) fakeCheckpoint(dir, step, 2);
    assert.deepEqual(
      listCheckpoints(dir).map((c) => c.step),
      [20, 15, 0],
    );
    assert.equal(RunConfigSchema.parse({}).checkpointKeep, 3);
    assert.equal(RunConfigSchema.safeParse({ checkpointKeep: 0 }).success, false);
  });

  it('removes what a killed writer left, and nothing else', () => {
    const dir = tmpDir();
    fakeCheckpoint(dir, 0);
    fs.mkdirSync(path.join(dir, 'checkpoints', '.tmp-step-3-4242'));
    fs.writeFileSync(path.join(dir, 'checkpoints', '.tmp-step-3-4242', 'weights.bin'), 'x');
    fs.writeFileSync(path.join(dir, 'run.json.tmp-4242'), '{');
    fs.writeFileSync(path.join(dir, 'run.json'), '{}');
    const removed = cleanLeftovers(dir).map((f) => path.basename(f));
    assert.deepEqual(removed.sort(), ['.tmp-step-3-4242', 'run.json.tmp-4242']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoints', 'run.json']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).sort(), ['latest', 'step-0']);
  });
});

describe('the run lock', () => {
  it('refuses a second writer while the first lives, names the holder, and releases', () => {
    const dir = tmpDir();
    const held = acquireLock(dir);
    assert.equal(readLock(dir)?.pid, process.pid);
    assert.equal(readLock(dir)?.processStart, processStartTime(process.pid));
    assert.equal(isLocked(dir), true);
    assert.throws(
      () => acquireLock(dir),
      (e: unknown) =>
        e instanceof RunDirError &&
        new RegExp(`locked by pid ${process.pid} on ${os.hostname()}`).test(e.message),
    );
    held.release();
    assert.equal(isLocked(dir), false);
    assert.equal(fs.existsSync(path.join(dir, RUN_FILES.lock)), false);
  });

  it('takes over a stale lock: the holder is dead, or its pid now belongs to a later process', () => {
    const dir = tmpDir();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    const lockFile = path.join(dir, RUN_FILES.lock);
    const write = (pid: number, processStart: number | null, host = os.hostname()) =>
      fs.writeFileSync(lockFile, JSON.stringify({ pid, host, processStart, since: '2020-01-01T00:00:00Z' }));
    write(deadPid, 1);
    assert.equal(isLocked(dir), false);
    const a = acquireLock(dir);
    assert.equal(a.replaced?.pid, deadPid);
    a.release();
    const start = processStartTime(process.pid);
    if (start !== null) {
      write(process.pid, start + 1);
      assert.equal(isLocked(dir), false, 'a reused pid');
      acquireLock(dir).release();
    }
    write(1, null, 'another-machine');
    assert.throws(() => acquireLock(dir), /another machine/);
  });
});

describe('names and signals', () => {
  it('a config name cannot escape --out', () => {
    for (const name of ['../../x', 'a/b', '/abs', '..', '.hidden', 'a\\b']) {
      const r = RunConfigSchema.safeParse({ name });
      assert.equal(r.success, false, name);
      assert.match(r.error.issues[0]!.message, /letters, digits/);
    }
    assert.equal(RunConfigSchema.safeParse({ name: 'my-run_1.2' }).success, true);
  });

  it('logs SIGINT as SIGINT and SIGTERM as SIGTERM; an IPC checkpoint request is taken once', () => {
    const lines: string[] = [];
    const control = new Control((l) => lines.push(l));
    try {
      process.emit('SIGINT', 'SIGINT');
      assert.equal(control.stop, true);
      assert.equal(control.reason, 'SIGINT');
      process.emit('SIGTERM', 'SIGTERM');
      assert.equal(control.reason, 'SIGTERM');
      process.emit('message', { type: 'checkpoint' }, undefined);
      assert.equal(control.takeCheckpointRequest(), true);
      assert.equal(control.takeCheckpointRequest(), false);
      process.emit('message', { type: 'nonsense' }, undefined);
      assert.match(lines.at(-1)!, /ignored an unknown IPC message/);
    } finally {
      control.dispose();
    }
  });
});
