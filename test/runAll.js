#!/usr/bin/env node
// `npm test`: builds what the tests need, runs the three tiers and prints one summary line per tier and one for
// the whole run, `N passed, N failed[, N skipped]`, alone on the last line. Exits non-zero if anything failed.
//
//   node test/runAll.js                  all tiers: unit, integration, e2e, python (engines/verl, engines/trl, test/python
//                                        in the venv of test/harness/pythonEnv.sh)
//   node test/runAll.js integration e2e  only these (setup/build/package only as far as they need)
//
// Plain JavaScript on purpose: it runs before the TypeScript is compiled (it is what compiles it).
// Steps: setup (test/harness/setup.sh: chromium, code-server) → build (esbuild --production: the tests load
// what ships) → compile tests (tsc) → package (.vsix, for the UI tier) → tiers → the check that no process of
// this run is left.
'use strict';
const { spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const TIERS = ['unit', 'integration', 'e2e', 'python'];
const requested = process.argv.slice(2);
for (const name of requested) {
  if (!TIERS.includes(name)) {
    console.error(`unknown tier "${name}"; expected some of: ${TIERS.join(', ')}`);
    process.exit(2);
  }
}
const tiers = requested.length > 0 ? TIERS.filter((t) => requested.includes(t)) : TIERS;
// The python tier needs neither the editor nor the production build (test/python/run.sh rebuilds dist/cli.js when stale).
const needsEditor = tiers.some((t) => t === 'integration' || t === 'e2e');
const session = randomUUID();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-test-run-'));
const summary = [];
let failedSteps = 0;

/** Runs a step with inherited output; every process it starts carries this run's session tag. */
function run(command, args, extraEnv = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, BNPO_TEST_SESSION: session, ...extraEnv },
  });
  return { code: result.status ?? 1, seconds: (Date.now() - started) / 1000, error: result.error };
}

function step(name, command, args) {
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const { code, seconds, error } = run(command, args);
  if (code !== 0) {
    failedSteps++;
    summary.push(
      `${name}: FAILED (exit ${code}${error ? `, ${error.message}` : ''}, ${seconds.toFixed(1)} s)`,
    );
  } else {
    summary.push(`${name}: ok (${seconds.toFixed(1)} s)`);
  }
  return code === 0;
}

function countsLine(counts) {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/** tsc leaves compiled tests behind when their source is deleted; a stale test must not run. */
function removeStaleTests() {
  const out = path.join(root, 'out', 'test');
  if (!fs.existsSync(out)) return;
  for (const rel of fs.readdirSync(out, { recursive: true, encoding: 'utf8' })) {
    if (!rel.endsWith('.js')) continue;
    const source = path.join(root, 'test', rel.replace(/\.js$/, '.ts'));
    if (!fs.existsSync(source)) {
      fs.rmSync(path.join(out, rel), { force: true });
      fs.rmSync(path.join(out, `${rel}.map`), { force: true });
    }
  }
}

/** Node's TAP summary (`# pass N` …) gives the unit tier's counts; the spec reporter still prints to the terminal. */
function runUnit() {
  const dir = path.join(root, 'out', 'test', 'unit');
  const files = fs.existsSync(dir)
    ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.js'))
    : [];
  if (files.length === 0) return { counts: { passed: 0, failed: 0, skipped: 0 }, code: 0, seconds: 0 };
  const tap = path.join(scratch, 'unit.tap');
  const { code, seconds } = run(process.execPath, [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files.map((f) => path.join(dir, f)),
  ]);
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const count = (key) => {
    const matches = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    const last = matches[matches.length - 1];
    return last ? Number(last[1]) : 0;
  };
  const counts = {
    passed: count('pass'),
    failed: count('fail') + count('cancelled'),
    skipped: count('skipped') + count('todo'),
  };
  return { counts, code, seconds };
}

/** Integration and e2e runners write their counts to the file named in BNPO_TEST_RESULTS (tierResult.ts). */
function runWithResultFile(name, script) {
  const file = path.join(scratch, `${name}.json`);
  const { code, seconds } = run(process.execPath, [script], { BNPO_TEST_RESULTS: file });
  const { readTierResult } = require(path.join(root, 'out', 'test', 'harness', 'tierResult.js'));
  let counts;
  try {
    counts = readTierResult(file);
  } catch (err) {
    console.error(`${name}: ${err.message}`);
    counts = { passed: 0, failed: 0, skipped: 0 };
  }
  return { counts, code, seconds };
}

function runTier(name) {
  console.log(`\n=== ${name} tests`);
  const { counts, code, seconds } =
    name === 'unit'
      ? runUnit()
      : runWithResultFile(
          name,
          path.join(root, 'out', 'test', name, name === 'integration' ? 'runTests.js' : 'run.js'),
        );
  let note = '';
  // A runner that fails without a failed test (crash, timeout, leftover processes) still fails the tier.
  if (code !== 0 && counts.failed === 0) {
    counts.failed = 1;
    note = ` (runner exited ${code} without a failed test: counted as one failure)`;
  }
  return { name, counts, line: `${name}: ${countsLine(counts)} (${seconds.toFixed(1)} s)${note}` };
}

function main() {
  const started = Date.now();
  let ready = true;
  if (needsEditor) ready = step('setup', 'bash', [path.join(root, 'test', 'harness', 'setup.sh')]) && ready;
  if (ready && needsEditor)
    ready = step('build', process.execPath, [path.join(root, 'esbuild.js'), '--production']);
  removeStaleTests();
  // Type errors fail the run, but tsc still emits, so the tiers run and report what they can.
  if (ready)
    step('compile tests', process.execPath, [
      require.resolve('typescript/bin/tsc'),
      '-p',
      root,
      '--outDir',
      'out',
    ]);
  if (ready && tiers.includes('e2e')) ready = step('package', 'npm', ['run', '-s', 'package']);

  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (ready) {
    for (const name of tiers) {
      const tier = runTier(name);
      summary.push(tier.line);
      for (const key of Object.keys(totals)) totals[key] += tier.counts[key];
    }
  }

  // The teardown check for the whole run: every process any step started carries BNPO_TEST_SESSION=<id>.
  if (fs.existsSync(path.join(root, 'out', 'test', 'harness', 'processes.js'))) {
    const { processesTagged } = require(path.join(root, 'out', 'test', 'harness', 'processes.js'));
    const left = processesTagged('BNPO_TEST_SESSION', session);
    if (left.length > 0) {
      failedSteps++;
      summary.push(`teardown: FAILED, ${left.length} process(es) left running (killed now):`);
      for (const p of left) {
        summary.push(`  ${p.pid} ${p.command}`);
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    } else {
      summary.push(
        'teardown: ps finds no process of this run (code-server, extension host, chromium) left running',
      );
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });

  totals.failed += failedSteps;
  console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const line of summary) console.log(line);
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
  console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

main();
