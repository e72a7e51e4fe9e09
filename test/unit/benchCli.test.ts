// `bnpo bench --python PATH`: the reference figures' interpreter is the caller's; a missing one is a usage error
// (exit 2, one line), and the bench never installs one (src/trainer/bench.ts findPython).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/bench';
import { UsageError } from '../../src/cli/usage';
import { findPython } from '../../src/trainer/bench';

describe('bnpo bench --python', () => {
  it('refuses a python that does not exist, naming the flag and the path', async () => {
    await assert.rejects(
      run(['--backends', 'cpu', '--python', '/nonexistent/bin/python3']),
      (err: unknown) =>
        err instanceof UsageError && /--python \/nonexistent\/bin\/python3: no such file/.test(err.message),
    );
  });

  it('uses the python it is given and says when it lacks numpy', () => {
    const notes: string[] = [];
    assert.equal(findPython(notes, '/bin/true'), '/bin/true');
    assert.deepEqual(notes, []);
    assert.equal(findPython(notes, '/bin/false'), '/bin/false');
    assert.deepEqual(notes, ['/bin/false cannot import numpy']);
  });
});
