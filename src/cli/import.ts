// `bnpo import PATH --out RUNDIR`: turn another tool's log (TensorBoard event files, TRL's trainer_state.json,
// verl's file-logger JSONL) into an imported run folder (src/protocol/importedRun.ts) that the studio can show.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMPORTED_RUN_FILES } from '../protocol/importedRun';
import type { ImportInfo } from '../protocol/importedRun';
import { RUN_DIR_VERSION } from '../protocol/runDir';
import { requireForeignLog } from '../interop/detect';
import { ImportedRunBuilder } from '../interop/importedRun';
import { InteropError } from '../interop/scalars';
import { parseCommandLine, UsageError } from './usage';

export const USAGE = `usage: bnpo import PATH --out RUNDIR [--id ID]

Converts a run logged by another tool into a run folder: PATH is a TensorBoard run folder (events.out.tfevents.*),
a TRL output folder or its trainer_state.json, or a verl file-logger JSONL (or a folder holding one). Metrics that
mean the same as ours (reward, per-rule rewards, loss, grad norm, entropy, clip fraction, completion length,
zero-variance share, learning rate) land on our names; every other scalar is kept under its own name.

options:
  --out RUNDIR  the run folder to write (created; an earlier import there is replaced)
  --id ID       the run's id (default: the folder name of RUNDIR)
  -h, --help    print this help
`;

function prepareOut(out: string): void {
  const names = fs.existsSync(out) ? fs.readdirSync(out) : [];
  if (names.length > 0 && !names.includes(IMPORTED_RUN_FILES.info)) {
    throw new UsageError(
      `--out ${out}: folder exists and is not an imported run; choose an empty or new folder`,
    );
  }
  fs.mkdirSync(out, { recursive: true });
}

export function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, { out: { type: 'string' }, id: { type: 'string' } }, USAGE, {
    positionals: true,
  });
  if (parsed === undefined) return Promise.resolve(0);
  const [source, extra] = parsed.positionals;
  if (source === undefined || extra !== undefined) throw new UsageError('import needs exactly one PATH');
  const out = parsed.values.out;
  if (out === undefined) throw new UsageError('import needs --out RUNDIR');
  const builder = new ImportedRunBuilder();
  let follower;
  try {
    follower = requireForeignLog(path.resolve(source));
    builder.add(follower.poll());
  } catch (err) {
    if (err instanceof InteropError) throw new UsageError(err.message);
    throw err;
  }
  prepareOut(out);
  const records = builder.records();
  const info: ImportInfo = {
    v: RUN_DIR_VERSION,
    id: parsed.values.id ?? path.basename(path.resolve(out)),
    source: follower.source,
    path: follower.path,
    importedAt: new Date().toISOString(),
    steps: records.length,
    lastStep: records.at(-1)?.step ?? null,
    rules: [...builder.rules],
    series: builder.series(),
  };
  const lines = records.map((r) => JSON.stringify(r) + '\n').join('');
  fs.writeFileSync(path.join(out, IMPORTED_RUN_FILES.scalars), lines);
  fs.writeFileSync(path.join(out, IMPORTED_RUN_FILES.info), JSON.stringify(info, null, 2) + '\n');
  const mapped = info.series.filter((s) => !s.as.startsWith('extra.')).length;
  process.stdout.write(
    `imported ${records.length} steps from ${follower.source} log ${follower.path}: ` +
      `${mapped} series on our names, ${info.series.length - mapped} kept as extra → ${out}\n`,
  );
  return Promise.resolve(0);
}
