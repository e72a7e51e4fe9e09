// Following run directories: incremental reads that return only new records, a torn last line left for later
// (also when it splits a multi-byte character), a replaced file read again from the start, a run whose trainer
// process is gone reported as failed, and the folder model noticing new and removed runs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
// The module object itself (not the namespace copy of `import * as`), so a mock of its functions is seen by ours.
import fsModule from 'node:fs';
import { z } from 'zod';
import { parseJsonl } from '../../src/protocol/jsonl';
import { JsonlFollower, lastLines } from '../../src/runDir/follow';
import { MAX_CHANGE_RECORDS } from '../../src/runDir/follower';
import { RunFollower } from '../../src/host/runs/runFollower';
import { RunsModel } from '../../src/host/runs/runsModel';
import type { RunsEvent } from '../../src/host/runs/runsModel';
import { RUN_FILES } from '../../src/runDir/layout';
import { processStartTime } from '../../src/runDir/lock';
import { auditRecord, metricsRecord, runInfo, samplesRecord } from './studioFixtures';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-studio-follow-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const Rec = z.object({ n: z.number(), s: z.string().optional() });

describe('JsonlFollower', () => {
  it('returns only what was appended since the last read', () => {
    const file = path.join(dir, 'a.jsonl');
    const f = new JsonlFollower(file, Rec);
    assert.deepEqual(
      f.read(),
      { records: [], problems: [], reset: false },
      'a missing file is empty, not an error',
    );
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n');
    assert.deepEqual(f.read().records, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(f.read().records, []);
    fs.appendFileSync(file, '{"n":3}\n');
    assert.deepEqual(f.read().records, [{ n: 3 }]);
  });

  it('leaves a torn last line pending and reads it once its newline arrives', () => {
    const file = path.join(dir, 'a.jsonl');
    const f = new JsonlFollower(file, Rec);
    fs.writeFileSync(file, '{"n":1}\n{"n":');
    const first = f.read();
    assert.deepEqual(first.records, [{ n: 1 }]);
    assert.deepEqual(first.problems, [], 'a torn tail is not a problem');
    assert.equal(f.pendingBytes, '{"n":'.length);
    fs.appendFileSync(file, '2}\n');
    assert.deepEqual(f.read().records, [{ n: 2 }]);
    assert.equal(f.pendingBytes, 0);
  });

  it('decodes a multi-byte character split across two reads', () => {
    const file = path.join(dir, 'a.jsonl');
    const f = new JsonlFollower(file, Rec);
    const line = Buffer.from('{"n":1,"s":"p̂ ≥ ½"}\n', 'utf8');
    const cut = line.indexOf(Buffer.from('≥', 'utf8')) + 1; // inside the 3-byte '≥'
    fs.writeFileSync(file, line.subarray(0, cut));
    assert.deepEqual(f.read().records, []);
    fs.appendFileSync(file, line.subarray(cut));
    assert.deepEqual(f.read().records, [{ n: 1, s: 'p̂ ≥ ½' }]);
  });

  it('reports a malformed middle line with its file and line number, and goes on', () => {
    const file = path.join(dir, 'a.jsonl');
    const f = new JsonlFollower(file, Rec);
    fs.writeFileSync(file, '{"n":1}\n');
    f.read();
    fs.appendFileSync(file, 'oops\n{"n":"x"}\n{"n":4}\n');
    const r = f.read();
    assert.deepEqual(r.records, [{ n: 4 }]);
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.line]),
      [
        [file, 2],
        [file, 3],
      ],
    );
  });

  it('starts again from the top when the file is replaced (a resume rewrote it)', () => {
    const file = path.join(dir, 'a.jsonl');
    const f = new JsonlFollower(file, Rec);
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":3}\n');
    f.read();
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, '{"n":1}\n{"n":2}\n{"n":9}\n{"n":10}\n');
    fs.renameSync(tmp, file);
    const r = f.read();
    assert.equal(r.reset, true);
    assert.deepEqual(r.records, [{ n: 1 }, { n: 2 }, { n: 9 }, { n: 10 }]);
  });

  it('reads a chunk at a time, at every chunk size equal to parsing the file whole', () => {
    const file = path.join(dir, 'a.jsonl');
    // CRLF lines, 2-, 3- and 4-byte characters, a blank line, a broken middle line, and a torn last line.
    const whole = [
      '{"n":1,"s":"p̂ ≥ ½"}\r\n',
      '{"n":2,"s":"🙂🙂"}\n',
      '\r\n',
      '{"n":\n',
      `{"n":3,"s":"${'ü'.repeat(9)}"}\r\n`,
      '{"n":4}\n',
    ].join('');
    const torn = '{"n":5,"s":"≥';
    fs.writeFileSync(file, whole + torn);
    const expected = parseJsonl(whole, Rec, { file });
    const bytes = Buffer.byteLength(whole + torn);
    for (let chunk = 1; chunk <= bytes + 1; chunk++) {
      const f = new JsonlFollower(file, Rec, chunk);
      const readSync = mock.method(fsModule, 'readSync');
      let r;
      try {
        r = f.read();
        const asked = readSync.mock.calls.map((c) => (c.arguments as unknown[])[3] as number);
        assert.ok(asked.length >= Math.ceil(bytes / chunk), `chunk ${chunk}: reads ${asked.length}`);
        assert.ok(
          asked.every((n) => n <= chunk),
          `chunk ${chunk}: no read larger than a chunk (${Math.max(...asked)})`,
        );
      } finally {
        readSync.mock.restore();
      }
      assert.deepEqual(r.records, expected.records, `chunk ${chunk}`);
      assert.deepEqual(
        r.problems.map((p) => p.line),
        [4],
        `chunk ${chunk}: the broken line by its number`,
      );
      assert.equal(f.pendingBytes, Buffer.byteLength(torn), `chunk ${chunk}: the torn tail waits`);
      assert.equal(f.consumed, Buffer.byteLength(whole));
      fs.appendFileSync(file, '"}\n{"n":6}\n');
      assert.deepEqual(f.read().records, [{ n: 5, s: '≥' }, { n: 6 }], `chunk ${chunk}: the tail completed`);
      fs.writeFileSync(file, whole + torn);
    }
  });

  it('hands records to readEach as they are parsed, and stops at a given byte', () => {
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":3}\n');
    const seen: number[] = [];
    const f = new JsonlFollower(file, Rec, 4);
    const first = f.readEach((r) => seen.push(r.n), '{"n":1}\n{"n":'.length);
    assert.deepEqual(first, { problems: [], reset: false });
    assert.deepEqual(seen, [1], 'up to the byte given: the second line is not complete there');
    f.readEach((r) => seen.push(r.n));
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('skips all but the last lines unparsed, keeping line numbers, at every chunk size', () => {
    const file = path.join(dir, 'a.jsonl');
    const lines = ['{"n":1}\r\n', 'not json\n', '{"n":"ü"}\n', '{"n":4}\n', 'oops\n', '{"n":6}\n'];
    const torn = '{"n":7';
    fs.writeFileSync(file, lines.join('') + torn);
    for (let chunk = 1; chunk <= Buffer.byteLength(lines.join('') + torn) + 1; chunk++) {
      const f = new JsonlFollower(file, Rec, chunk);
      assert.equal(f.skipAllBut(3), 3, `chunk ${chunk}`);
      const r = f.read();
      assert.deepEqual(r.records, [{ n: 4 }, { n: 6 }], `chunk ${chunk}: the last three lines parsed`);
      assert.deepEqual(
        r.problems.map((p) => p.line),
        [5],
        `chunk ${chunk}: a kept broken line has its own number`,
      );
      assert.equal(f.pendingBytes, torn.length, `chunk ${chunk}: the torn tail waits`);
      assert.equal(f.skipAllBut(0), 0, 'a follower that has read skips nothing');
    }
    const all = new JsonlFollower(file, Rec);
    assert.equal(all.skipAllBut(6), 0, 'no more lines than kept: nothing skipped');
    assert.deepEqual(
      all.read().records.map((r) => r.n),
      [1, 4, 6],
    );
    const none = new JsonlFollower(path.join(dir, 'none.jsonl'), Rec);
    assert.equal(none.skipAllBut(0), 0, 'a missing file has nothing to skip');
  });

  it('lastLines gives the tail of a log', () => {
    const file = path.join(dir, 'trainer.log');
    fs.writeFileSync(file, 'a\nb\n\nc\nd\n');
    assert.deepEqual(lastLines(file, 2), ['c', 'd']);
    assert.deepEqual(lastLines(path.join(dir, 'none.log'), 2), []);
  });
});

function writeRun(runDir: string, info: Parameters<typeof runInfo>[0] = {}): void {
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(
    path.join(runDir, RUN_FILES.run),
    JSON.stringify(runInfo({ id: path.basename(runDir), ...info })),
  );
}

describe('RunFollower', () => {
  it('follows run.json and every stream, reporting only what is new', () => {
    const runDir = path.join(dir, 'run-1');
    writeRun(runDir, { status: 'running', pid: 4242 });
    const run = new RunFollower(runDir, () => true);
    const first = run.poll();
    assert.ok(first?.info);
    assert.equal(run.status, 'running');
    fs.appendFileSync(path.join(runDir, RUN_FILES.metrics), JSON.stringify(metricsRecord(1)) + '\n');
    fs.appendFileSync(path.join(runDir, RUN_FILES.samples), JSON.stringify(samplesRecord(1)) + '\n');
    const second = run.poll();
    assert.equal(second?.info, false);
    assert.deepEqual(
      second?.metrics.map((m) => m.step),
      [1],
    );
    assert.deepEqual(second?.sampledSteps, [1]);
    assert.deepEqual(run.readSamples(1), [samplesRecord(1)], 'the step is read back from disk');
    assert.equal(run.poll(), undefined, 'nothing changed');
    fs.appendFileSync(
      path.join(runDir, RUN_FILES.metrics),
      JSON.stringify(metricsRecord(2)) + '\n{"v":1,"st',
    );
    assert.deepEqual(
      run.poll()?.metrics.map((m) => m.step),
      [2],
    );
    assert.deepEqual(run.columns().toColumns([]).step, [1, 2]);
  });

  it('reports a running run whose trainer process is gone as failed, with why', () => {
    const runDir = path.join(dir, 'run-2');
    writeRun(runDir, { status: 'running', pid: 999_999 });
    let alive = true;
    const run = new RunFollower(runDir, () => alive);
    run.poll();
    assert.equal(run.status, 'running');
    alive = false;
    const change = run.poll();
    assert.equal(change?.info, true, 'the status change is reported');
    assert.equal(run.status, 'failed');
    assert.match(run.failure ?? '', /pid 999999.*ended without finishing/);
  });

  it('checks the writer’s pid only on its own host (a run written on a cluster is not failed by a local pid)', () => {
    const remote = path.join(dir, 'run-remote');
    writeRun(remote, { status: 'running', pid: 999_999, host: `${os.hostname()}-elsewhere` });
    const checked: number[] = [];
    const run = new RunFollower(remote, (pid) => {
      checked.push(pid);
      return false;
    });
    run.poll();
    assert.equal(run.status, 'running');
    assert.deepEqual(checked, [], 'no local pid check for another host');

    const local = path.join(dir, 'run-local');
    writeRun(local, { status: 'running', pid: 999_999, host: os.hostname() });
    const here = new RunFollower(local, () => false);
    here.poll();
    assert.equal(here.status, 'failed');
  });

  it('shows a run whose lock a live trainer holds as running, and a stale lock as a dead trainer', () => {
    const runDir = path.join(dir, 'run-locked');
    // A resume from a terminal took the lock but has not rewritten run.json yet: it still says stopped.
    writeRun(runDir, { status: 'stopped', pid: 999_999, host: os.hostname() });
    const lock = {
      pid: process.pid,
      host: os.hostname(),
      processStart: processStartTime(process.pid),
      since: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(runDir, RUN_FILES.lock), JSON.stringify(lock));
    const run = new RunFollower(runDir, () => false);
    run.poll();
    assert.equal(run.status, 'running', 'the lock holder lives');
    assert.equal(run.failure, undefined);

    // The holder died and its pid went to a process started at another time: the lock proves nobody.
    if (lock.processStart !== null) {
      writeRun(runDir, { status: 'running', pid: process.pid, host: os.hostname() });
      fs.writeFileSync(
        path.join(runDir, RUN_FILES.lock),
        JSON.stringify({ ...lock, processStart: lock.processStart + 1 }),
      );
      const stale = new RunFollower(runDir, () => true);
      stale.poll();
      assert.equal(stale.status, 'failed', 'a stale lock wins over a live pid in run.json');
    }
  });

  it('carries no records from a first read of a long run: it says reset and the columns hold every row', () => {
    const runDir = path.join(dir, 'run-long');
    writeRun(runDir);
    const steps = MAX_CHANGE_RECORDS + 500;
    const lines = (n: number, from = 1) =>
      Array.from({ length: n }, (_, i) => JSON.stringify(metricsRecord(from + i)) + '\n').join('');
    fs.writeFileSync(path.join(runDir, RUN_FILES.metrics), lines(steps));
    fs.writeFileSync(
      path.join(runDir, RUN_FILES.audit),
      [1, 2, 3].map((s) => JSON.stringify(auditRecord(s, s / 10)) + '\n').join(''),
    );
    const run = new RunFollower(runDir, () => true);
    const first = run.poll();
    assert.equal(first?.reset, true, 'too many records for one change');
    assert.deepEqual(first?.metrics, []);
    assert.deepEqual(
      run.recentMetrics.map((m) => m.step),
      Array.from({ length: 16 }, (_, i) => steps - 15 + i),
      'the newest few kept whole',
    );
    const table = run.columns();
    assert.equal(table.length, steps);
    assert.equal(table.value('step', steps - 1), steps);
    assert.deepEqual(
      [1, 2, 3, 4].map((s) => table.audit.value('duplicates', table.audit.rowOf(s))),
      [0.1, 0.2, 0.3, null],
    );
    fs.appendFileSync(path.join(runDir, RUN_FILES.metrics), lines(2, steps + 1));
    fs.appendFileSync(path.join(runDir, RUN_FILES.audit), JSON.stringify(auditRecord(4, 0.4)) + '\n');
    const next = run.poll();
    assert.equal(next?.reset, false);
    assert.deepEqual(
      next?.metrics.map((m) => m.step),
      [steps + 1, steps + 2],
    );
    assert.deepEqual(
      next?.audits.map((a) => a.step),
      [4],
    );
    assert.equal(run.columns().length, steps + 2, 'extended, not read again');
    assert.equal(table.audit.length, 4, 'each audit record once');
    assert.equal(table.audit.value('duplicates', table.audit.rowOf(4)), 0.4);
  });

  it('skips history only on its first read: a run followed from its start misses no record', () => {
    const runDir = path.join(dir, 'run-fresh');
    writeRun(runDir, { status: 'running', pid: 4242 });
    const run = new RunFollower(runDir, () => true);
    run.poll();
    const metrics = Array.from({ length: 20 }, (_, i) => JSON.stringify(metricsRecord(i + 1)) + '\n').join(
      '',
    );
    fs.writeFileSync(path.join(runDir, RUN_FILES.metrics), metrics);
    fs.writeFileSync(path.join(runDir, RUN_FILES.audit), JSON.stringify(auditRecord(1, 0.9)) + '\n');
    const change = run.poll();
    assert.equal(change?.reset, false);
    assert.equal(change?.metrics.length, 20);
    assert.deepEqual(
      change?.audits.map((a) => a.step),
      [1],
      'the audit watch sees the first record of a live run',
    );
  });

  it('takes every stream afresh when one was rewritten', () => {
    const runDir = path.join(dir, 'run-3');
    writeRun(runDir);
    const metrics = path.join(runDir, RUN_FILES.metrics);
    fs.writeFileSync(metrics, [1, 2, 3].map((s) => JSON.stringify(metricsRecord(s)) + '\n').join(''));
    const run = new RunFollower(runDir, () => true);
    run.poll();
    fs.writeFileSync(`${metrics}.tmp`, [1, 2].map((s) => JSON.stringify(metricsRecord(s)) + '\n').join(''));
    fs.renameSync(`${metrics}.tmp`, metrics);
    const change = run.poll();
    assert.equal(change?.reset, true);
    assert.deepEqual(run.columns().toColumns([]).step, [1, 2]);
  });
});

describe('RunsModel', () => {
  it('notices runs appearing, changing and disappearing in the folder', () => {
    const model = new RunsModel([dir], { pollMs: 0, watch: false, isAlive: () => true });
    const events: string[] = [];
    model.onDidChange((e: RunsEvent) => events.push(`${e.kind}:${e.run.id}`));
    model.start();
    assert.deepEqual(events, []);
    writeRun(path.join(dir, 'r1'));
    fs.mkdirSync(path.join(dir, 'not-a-run'));
    model.refresh();
    assert.deepEqual(events, ['added:r1']);
    fs.appendFileSync(path.join(dir, 'r1', RUN_FILES.metrics), JSON.stringify(metricsRecord(1)) + '\n');
    model.refresh();
    assert.deepEqual(events, ['added:r1', 'changed:r1']);
    fs.rmSync(path.join(dir, 'r1'), { recursive: true });
    model.refresh();
    assert.deepEqual(events, ['added:r1', 'changed:r1', 'removed:r1']);
    model.dispose();
  });

  it('sees an append through its file watch without a poll timer', async () => {
    writeRun(path.join(dir, 'r2'));
    const model = new RunsModel([dir], { pollMs: 0, isAlive: () => true });
    model.start();
    const seen = new Promise<number[]>((resolve) => {
      model.onDidChange((e) => {
        if (e.kind === 'changed' && e.change.metrics.length > 0) resolve(e.change.metrics.map((m) => m.step));
      });
    });
    fs.appendFileSync(path.join(dir, 'r2', RUN_FILES.metrics), JSON.stringify(metricsRecord(7)) + '\n');
    const steps = await Promise.race([
      seen,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no watch event in 3 s')), 3000)),
    ]);
    assert.deepEqual(steps, [7]);
    model.dispose();
  });
});
