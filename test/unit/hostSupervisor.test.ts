// The host's one process supervisor, with real processes: the env allow-list, output into the log, the stop
// policy (SIGTERM to the process group, SIGKILL after the timeout), a launch that survives the supervisor (a window
// reload) and is stopped afterwards only once its recorded start time matches, and Stop that never signals a
// process it cannot prove is the run's trainer (a reused pid, a run folder written by hand).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LaunchLedger, MemoryStore } from '../../src/host/process/launchLedger';
import type { ProcessIdentity, ProcessProbe } from '../../src/host/process/processIdentity';
import { processAlive, processStartTime, prove } from '../../src/host/process/processIdentity';
import type { LaunchSpec, SupervisorLog } from '../../src/host/process/supervisor';
import { buildEnv, Supervisor } from '../../src/host/process/supervisor';
import { RunManager } from '../../src/host/runs/runManager';
import { RunsModel } from '../../src/host/runs/runsModel';
import { RUN_FILES } from '../../src/runDir/layout';
import { processStartTime as lockStartTime } from '../../src/runDir/lock';
import { runInfo } from './studioFixtures';

const linux = process.platform === 'linux';
/** A Node process that idles until killed; with `ignoreTerm` it shrugs off SIGTERM. */
const IDLE = 'setInterval(() => {}, 1000)';
const IGNORE_TERM = `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));`;

class MemoryLog implements SupervisorLog {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

let dir: string;
let strangers: ChildProcess[];
let pidsToKill: number[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-supervisor-'));
  strangers = [];
  pidsToKill = [];
});
afterEach(() => {
  for (const child of strangers) child.kill('SIGKILL');
  for (const pid of pidsToKill) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function nodeSpec(script: string, over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    label: 'test',
    argv: [process.execPath, '-e', script],
    runtime: 'exec',
    env: { allow: /^(PATH|HOME)$/, set: {} },
    cwd: dir,
    stopTimeoutMs: 5000,
    ...over,
  };
}

function writeRunFolder(name: string, pid: number): string {
  const runDir = path.join(dir, 'runs', name);
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(
    path.join(runDir, RUN_FILES.run),
    JSON.stringify(runInfo({ id: name, status: 'running', pid, host: os.hostname() })),
  );
  return runDir;
}

/** A process nobody launched through the supervisor: what a reused pid or a hand-made run.json names. */
function stranger(): number {
  const child = spawn(process.execPath, ['-e', IDLE], { stdio: 'ignore' });
  strangers.push(child);
  assert.ok(child.pid !== undefined);
  return child.pid;
}

function manager(
  supervisor: Supervisor,
  log: SupervisorLog,
  cli = '/unused/cli.js',
): { model: RunsModel; runs: RunManager } {
  const model = new RunsModel([path.join(dir, 'runs')], { pollMs: 0, watch: false });
  model.start();
  return { model, runs: new RunManager(model, supervisor, log, cli, () => dir) };
}

/** A stand-in for `bnpo train --resume DIR`: says where it writes, records what the host asks, stops on `stop`. */
const FAKE_TRAINER = `
const fs = require('fs');
const runDir = process.argv[process.argv.indexOf('--resume') + 1];
process.send({ type: 'started', runDir, runId: require('path').basename(runDir), backend: 'cpu' });
process.on('message', (m) => {
  fs.appendFileSync(runDir + '/asked.txt', m.type + '\\n');
  if (m.type === 'checkpoint') process.send({ type: 'checkpointed', step: 1, path: runDir });
  if (m.type === 'stop') process.exit(0);
});
setInterval(() => {}, 1000);
`;

describe('process identity', () => {
  const recorded: ProcessIdentity = { pid: 4242, host: 'here', startTime: 'linux:100' };
  const probe = (over: Partial<ProcessProbe> = {}): ProcessProbe => ({
    hostname: () => 'here',
    startTime: () => 'linux:100',
    alive: () => true,
    ...over,
  });

  it('proves a process only by host, pid and start time together', () => {
    assert.equal(prove(recorded, 4242, probe()).kind, 'proven');
    assert.equal(prove(recorded, 4242, probe({ startTime: () => 'linux:999' })).kind, 'gone', 'pid reused');
    assert.equal(prove(recorded, 4242, probe({ alive: () => false })).kind, 'gone');
    assert.equal(prove(recorded, 4242, probe({ hostname: () => 'elsewhere' })).kind, 'unproven');
    assert.equal(prove(recorded, 4242, probe({ startTime: () => undefined })).kind, 'unproven');
    assert.equal(prove(undefined, 4242, probe()).kind, 'unproven', 'a live pid with no record is nobody');
    assert.equal(prove(undefined, 4242, probe({ alive: () => false })).kind, 'gone');
    assert.equal(prove(undefined, null, probe()).kind, 'gone');
  });

  it('reads a start time that is fixed for a process and differs between processes', { skip: !linux }, () => {
    const mine = processStartTime(process.pid);
    assert.match(mine ?? '', /^linux:\d+$/);
    assert.equal(processStartTime(process.pid), mine);
    assert.equal(processStartTime(2 ** 22 + 12345), undefined);
  });
});

describe('Supervisor', () => {
  it('passes only the allow-listed environment, plus what the spec sets', () => {
    const env = buildEnv(
      { PATH: '/bin', NODE_OPTIONS: '--inspect', VSCODE_IPC_HOOK: '/x', HF_HOME: '/hf' },
      { allow: /^(PATH|HF_[A-Z_]+)$/, set: { BNPO_RUN_DIR: '/r' } },
    );
    assert.deepEqual(env, { PATH: '/bin', HF_HOME: '/hf', BNPO_RUN_DIR: '/r' });
  });

  it('follows the output into the log and reports the exit with the last lines', async () => {
    const log = new MemoryLog();
    const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(new MemoryStore()));
    const child = supervisor.start(
      nodeSpec(
        `console.log('line one'); console.error('boom: ' + (process.env.SECRET ?? 'hidden')); process.exit(3)`,
        {
          env: { allow: /^PATH$/, set: {} },
        },
      ),
    );
    const exit = await child.exit;
    assert.equal(exit.code, 3);
    assert.equal(exit.stopped, false);
    assert.deepEqual(exit.lastLines, ['line one', 'boom: hidden']);
    assert.ok(
      log.lines.some((l) => l.endsWith('[test] line one')),
      log.lines.join('\n'),
    );
    supervisor.dispose();
  });

  it(
    'stops the whole process group: SIGTERM first, SIGKILL after the timeout',
    { skip: !linux },
    async () => {
      const log = new MemoryLog();
      const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(new MemoryStore()));
      const grandchildFile = path.join(dir, 'grandchild.pid');
      // The process ignores SIGTERM and starts a worker (as verl starts Ray) that ignores it too; the worker writes
      // its pid once its handler is in place, so the stop cannot come before either handler (a loaded machine).
      const worker = `${IGNORE_TERM} require('fs').writeFileSync(${JSON.stringify(grandchildFile)}, String(process.pid)); ${IDLE}`;
      const script = `${IGNORE_TERM} require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(worker)}], { stdio: 'inherit' }); ${IDLE}`;
      const child = supervisor.start(
        nodeSpec(script, { stopTimeoutMs: 500, runDir: path.join(dir, 'runs', 'g') }),
      );
      assert.ok(child.pid !== undefined);
      pidsToKill.push(child.pid);
      await until('the worker to start', () => fs.existsSync(grandchildFile));
      const workerPid = Number(fs.readFileSync(grandchildFile, 'utf8'));
      const result = await child.stop();
      assert.equal(result.outcome, 'killed');
      assert.equal((await child.exit).signal, 'SIGKILL');
      await until('the worker to be killed with its group', () => !processAlive(workerPid));
      supervisor.dispose();
    },
  );
});

describe('Stop (RunManager)', () => {
  it('never signals a live process that a run folder names but nothing proves is its trainer', async () => {
    const pid = stranger();
    writeRunFolder('cloned-run', pid);
    const log = new MemoryLog();
    const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(new MemoryStore()));
    const { model, runs } = manager(supervisor, log);
    const run = model.get('cloned-run');
    assert.ok(run);
    const result = await runs.stop(run);
    assert.equal(result.outcome, 'not ours');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(processAlive(pid), true, 'the stranger was signalled');
    model.dispose();
    supervisor.dispose();
  });

  it(
    'after a reload, stops the group of a trainer started here once its start time still matches',
    { skip: !linux },
    async () => {
      const store = new MemoryStore();
      const log = new MemoryLog();
      const before = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(store));
      const runDir = path.join(dir, 'runs', 'survivor');
      const child = before.start(nodeSpec(IDLE, { runDir }));
      assert.ok(child.pid !== undefined);
      pidsToKill.push(child.pid);
      writeRunFolder('survivor', child.pid);
      // The window reloads: the old supervisor lets go (the process goes on), a new one starts from storage.
      before.dispose();
      assert.equal(processAlive(child.pid), true, 'the process outlives its supervisor');
      const after = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(store));
      const { model, runs } = manager(after, log);
      const run = model.get('survivor');
      assert.ok(run);
      assert.equal(runs.isManaged(run), false, 'a new window holds no handle to it');
      const result = await runs.stop(run);
      assert.equal(result.outcome, 'stopped');
      await until('the process to end', () => (child.hasExited ? true : !processAlive(child.pid!)));
      model.dispose();
      after.dispose();
    },
  );

  it('does not signal a pid that changed hands after the trainer ended (start time differs)', async () => {
    const pid = stranger();
    const runDir = writeRunFolder('reused', pid);
    const store = new MemoryStore();
    // What a launch recorded for this folder: the same pid, but a process that started at another time.
    new LaunchLedger(store).record(
      runDir,
      { pid, host: os.hostname(), startTime: 'linux:1' },
      { group: true, stopTimeoutMs: 100 },
    );
    const log = new MemoryLog();
    const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(store));
    const { model, runs } = manager(supervisor, log);
    const run = model.get('reused');
    assert.ok(run);
    assert.equal((await runs.stop(run)).outcome, 'not running');
    assert.equal(processAlive(pid), true, 'the new owner of the pid was signalled');
    model.dispose();
    supervisor.dispose();
  });

  it(
    'stops a trainer started from a terminal when its run.lock proves it (host and start time)',
    { skip: !linux },
    async () => {
      const pid = stranger();
      const runDir = writeRunFolder('terminal-run', pid);
      const writeLock = (over: object): void =>
        fs.writeFileSync(
          path.join(runDir, RUN_FILES.lock),
          JSON.stringify({
            pid,
            host: os.hostname(),
            processStart: lockStartTime(pid),
            since: new Date().toISOString(),
            ...over,
          }),
        );
      const log = new MemoryLog();
      const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(new MemoryStore()));
      const { model, runs } = manager(supervisor, log);
      const run = model.get('terminal-run');
      assert.ok(run);

      writeLock({ host: `${os.hostname()}-elsewhere` });
      assert.equal((await runs.stop(run)).outcome, 'not ours', 'a lock of another machine proves nothing');
      writeLock({ processStart: (lockStartTime(pid) ?? 0) + 1 });
      assert.equal((await runs.stop(run)).outcome, 'not running', 'a stale lock names a process that ended');
      assert.equal(processAlive(pid), true, 'the pid named by a stale or foreign lock was signalled');

      writeLock({});
      assert.equal((await runs.stop(run)).outcome, 'stopped');
      await until(
        'the process to end',
        () => !processAlive(pid) || strangers.some((c) => c.exitCode !== null || c.signalCode !== null),
      );
      model.dispose();
      supervisor.dispose();
    },
  );

  it('Checkpoint Now and Stop reach a trainer started here over its channel', async () => {
    const cli = path.join(dir, 'fake-trainer.js');
    fs.writeFileSync(cli, FAKE_TRAINER);
    const runDir = writeRunFolder('ipc-run', process.pid);
    const log = new MemoryLog();
    const supervisor = new Supervisor(log, path.join(dir, 'out'), new LaunchLedger(new MemoryStore()));
    const { model, runs } = manager(supervisor, log, cli);
    assert.deepEqual(await runs.launch({ kind: 'resume', runDir }, dir), { runDir });
    const run = model.get('ipc-run');
    assert.ok(run);
    assert.equal(runs.isManaged(run), true);
    assert.equal(runs.checkpoint(run), true);
    const asked = path.join(runDir, 'asked.txt');
    await until('the checkpoint request', () => fs.existsSync(asked));
    assert.equal((await runs.stop(run)).outcome, 'stopped');
    assert.deepEqual(fs.readFileSync(asked, 'utf8').trim().split('\n'), ['checkpoint', 'stop']);
    assert.equal(runs.checkpoint(run), false, 'no channel once it has ended');
    model.dispose();
    supervisor.dispose();
  });
});
