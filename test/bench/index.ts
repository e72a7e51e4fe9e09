// `npm run bench`: prints the machine, then each area's figures. Timings are printed, never asserted.
import os from 'node:os';

interface BenchModule {
  run(): Promise<void>;
}

/** One line per area; each module exports `async function run(): Promise<void>` that prints its figures. */
const areas: [name: string, load: () => Promise<BenchModule>][] = [
  ['advantages', () => import('./advantages.js')],
  ['studio', () => import('./studio.js')],
  ['host memory (followed runs)', () => import('./hostMemory.js')],
  ['rules', () => import('./rules.js')],
  ['trainer', () => import('./trainer.js')],
  ['both cores (data-parallel RL steps, measured)', () => import('./parallel.js')],
  ['llama (SmolLM2-135M shape)', () => import('./llama.js')],
  ['audit', () => import('./audit.js')],
];

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('BNPO Studio benchmarks');
  console.log(`  node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
  console.log(
    `  cpu: ${cpus[0]?.model.trim() ?? 'unknown'} × ${cpus.length}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `  memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
  );
  for (const [name, load] of areas) {
    console.log(`\n## ${name}`);
    const started = performance.now();
    await (await load()).run();
    console.log(`  (${name} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
