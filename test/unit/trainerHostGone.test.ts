// A trainer outlives the host that started it: a window reload ends the extension host while the trainer is busy
// computing a step, and its next progress message meets a closed channel (EPIPE). The run must go on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const REPORTER = path.resolve(__dirname, '../../src/trainer/reporter.js');

// The trainer stand-in: reports progress between busy stretches (the event loop never sees the channel close
// before it writes again), for 2 s, then says it is still alive.
const CHILD = `
const { ipcReporter } = require(${JSON.stringify(REPORTER)});
const fs = require('node:fs');
const reporter = ipcReporter();
const start = Date.now();
let step = 0;
function busy(ms) { const t = Date.now(); while (Date.now() - t < ms) {} }
function tick() {
  busy(20);
  step += 1;
  reporter.progress({ phase: 'rl', step, total: 1000, reward: 0.5, accuracy: 0.5, evalAccuracy: null, line: '' });
  if (Date.now() - start < 2000) setImmediate(tick);
  else fs.writeFileSync(process.argv[2], 'alive at step ' + step);
}
tick();
`;

// The host stand-in: forks the trainer detached, as the supervisor does, and goes away abruptly.
const HOST = `
const { fork } = require('node:child_process');
const child = fork(process.argv[2], [process.argv[3]], {
  detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json',
});
child.on('message', () => {});
setTimeout(() => process.exit(0), 300);
`;

describe('a trainer whose host goes away', () => {
  it('keeps running after its IPC channel closes mid-run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-host-gone-'));
    try {
      const child = path.join(dir, 'trainer.js');
      const host = path.join(dir, 'host.js');
      const marker = path.join(dir, 'alive');
      fs.writeFileSync(child, CHILD);
      fs.writeFileSync(host, HOST);
      const r = spawnSync(process.execPath, [host, child, marker], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const deadline = Date.now() + 15_000;
      while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
      assert.ok(fs.existsSync(marker), 'the trainer died when its host went away');
      assert.match(fs.readFileSync(marker, 'utf8'), /^alive at step \d+$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
