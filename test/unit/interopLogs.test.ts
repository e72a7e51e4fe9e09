// TRL's trainer_state.json and verl's file-logger JSONL read back with the values logged; bad input is one line
// naming the file and where; a verl line still being written waits for its newline.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { VerlFollower } from '../../src/interop/logFollowers';
import { InteropError } from '../../src/interop/scalars';
import { parseTrainerState } from '../../src/interop/trlState';
import { readVerlLines } from '../../src/interop/verlJsonl';
import { byStep, expected, interopFixtures } from './interopFixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bnpo-interop-logs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const trlFile = path.join(interopFixtures, 'trl', 'trainer_state.json');
const verlFile = path.join(interopFixtures, 'verl', 'bnpo_demo.jsonl');

describe("TRL's trainer_state.json", () => {
  it('gives every log_history number at its step; the closing summary entry too', () => {
    const { points, entries } = parseTrainerState(readFileSync(trlFile, 'utf8'), trlFile);
    assert.equal(entries, 6);
    const steps = byStep(points);
    const last = steps['5'] ?? {};
    assert.equal(last.train_runtime, 12.5);
    assert.equal(last.train_loss, 0.2);
    delete last.train_runtime;
    delete last.train_loss;
    assert.deepEqual(steps, expected.trl);
    assert.ok(points.every((p) => p.wallTime === undefined));
  });

  it('reads only the entries after `from` (a follower re-reading a rewritten file)', () => {
    const { points } = parseTrainerState(readFileSync(trlFile, 'utf8'), trlFile, 5);
    assert.deepEqual(points.map((p) => p.tag).sort(), ['epoch', 'train_loss', 'train_runtime']);
  });

  it('names the entry whose step is missing, in one line', () => {
    const bad = JSON.stringify({ log_history: [{ step: 1, loss: 1 }, { loss: 2 }] });
    assert.throws(
      () => parseTrainerState(bad, 'state.json'),
      new InteropError('state.json: log_history[1].step: expected a whole number, got undefined'),
    );
    assert.throws(() => parseTrainerState('{"log_history": 3}', 'state.json'), /state\.json: log_history:/);
    assert.throws(() => parseTrainerState('{', 'state.json'), /^InteropError: state\.json: not JSON/);
  });
});

describe("verl's file-logger JSONL", () => {
  it('gives every metric at its step with the exact logged value', () => {
    const chunk = readVerlLines(readFileSync(verlFile), verlFile);
    assert.deepEqual(chunk.problems, []);
    assert.deepEqual(byStep(chunk.points), expected.verl);
    assert.equal(chunk.lines, 5);
  });

  it('follows a live log: a line without its newline is read once it is complete', () => {
    const text = readFileSync(verlFile, 'utf8');
    const file = path.join(tmp, 'live.jsonl');
    const cut = text.indexOf('\n', text.indexOf('\n') + 1) + 20; // two lines and part of a third
    writeFileSync(file, text.slice(0, cut));
    const follower = new VerlFollower(file);
    const first = follower.poll();
    assert.deepEqual(Object.keys(byStep(first)), ['1', '2']);
    appendFileSync(file, text.slice(cut));
    const rest = follower.poll();
    assert.deepEqual(byStep([...first, ...rest]), expected.verl);
    assert.deepEqual(follower.poll(), []);
  });

  it('names the file and line of a malformed line', () => {
    const file = path.join(tmp, 'bad.jsonl');
    writeFileSync(file, '{"step": 1, "data": {"a": 1}}\n{"step": "two", "data": {}}\n');
    assert.throws(
      () => new VerlFollower(file).poll(),
      (err: unknown) => {
        assert.ok(err instanceof InteropError);
        assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: step:`));
        assert.equal(err.message.includes('\n'), false);
        return true;
      },
    );
  });
});
