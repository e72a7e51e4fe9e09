// The Python tier as the test orchestrator runs tiers (`node out/test/<tier>/run.js`, counts in the file named by
// BNPO_TEST_RESULTS): it hands over to run.sh, which runs the Python suites (pytest) inside the test venv
// and writes those counts itself. The exit status is run.sh's.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const script = path.join(root, 'test', 'python', 'run.sh');
const result = spawnSync('bash', [script], { cwd: root, stdio: 'inherit', env: process.env });
if (result.error) process.stderr.write(`python tier: cannot run ${script}: ${result.error.message}\n`);
process.exitCode = result.status ?? 1;
