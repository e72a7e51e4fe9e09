// `bnpo rules check|test|audit|serve`: validate a reward-rule file, dry-run it on sample completions, audit it
// for reward hacking (src/core/rules/audit.ts), or serve it to another training engine over JSON lines (messages in
// src/protocol/rulesServe.ts).
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { auditRules, datasetRowsFromText, formatAuditText, rewardsNothing } from '../core/rules/audit';
import type { AuditItem } from '../core/rules/auditRun';
import { auditSetup, RunAudit } from '../core/rules/auditRun';
import { weightedSum } from '../core/rules/engine';
import { RUN_DIR_VERSION, SamplesRecordSchema } from '../protocol/runDir';
import { checkRulesText, formatDiagnostic } from '../core/rules/check';
import { formatReportText, testRules } from '../core/rules/report';
import { datasetFieldsFromText, parseSamplesText } from '../core/rules/samplesFile';
import type {
  RulesServeError,
  RulesServeReady,
  RulesServeResponse,
  RulesServeResult,
} from '../protocol/rulesServe';
import { RulesServeRequestSchema } from '../protocol/rulesServe';
import type { LoadedRules } from '../trainer/rulesFile';
import { loadRulesFile, RulesFileError } from '../trainer/rulesFile';
import { parseCommandLine, UsageError } from './usage';

export const USAGE = `usage: bnpo rules check FILE... [--dataset JSONL]
       bnpo rules test FILE --samples JSONL [--dataset JSONL]
       bnpo rules audit FILE [--dataset JSONL] [--cap CHARS] [--json]
       bnpo rules audit FILE --run-samples JSONL --cap-tokens N [--accuracy RULE]
       bnpo rules serve --rules FILE [--dataset JSONL]

  check   print every problem of the reward-rule files as file:line:col: severity: message
          (exit 1 when any error is found)
  test    run the rules on sample completions and print a per-rule pass table with failure reasons.
          A samples line is {"completion": "...", "sample": {"answer": ...}} (or the sample fields inline,
          or a run's samples.jsonl record with "completions": [{"text": ...}])
  audit   score degenerate completions (empty, tags only, the answer repeated, every candidate listed,
          junk around the answer, cut at the length cap, \\boxed{} repeated, the answer outside the tags),
          built from the dataset's answers, and print which forms each rule rewards
          (exit 1 when a rule rewards an empty or tags-only completion).
          With --run-samples, replay the run audit instead over a run's samples.jsonl (each record is
          one prompt group) and print one audit.jsonl record per step
  serve   read JSON lines {"id", "items": [{"completion", "sample"}]} on stdin, write one JSON line per request
          {"type": "result", "id", "results": [{"rewards", "reasons", "errors"?, "total"}]} on stdout,
          after a first {"type": "ready", "rules", "weights"} line

options:
  --dataset JSONL   the dataset the rules will score: its fields are the sample fields rules may reference
  --samples JSONL   (test) the sample completions
  --rules FILE      (serve) the reward-rule file
  --cap CHARS       (audit) the length cap a truncated completion is cut at (default: the tightest
                    chars length rule, else 1024)
  --json            (audit) print the report as JSON
  --run-samples F   (audit) a run's samples.jsonl to replay the run audit over
  --cap-tokens N    (audit --run-samples) the generation cap in tokens
  --accuracy RULE   (audit --run-samples) the accuracy rule (default: the first answer rule)
  -h, --help        print this help
`;

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function datasetFields(file: string | undefined): Promise<string[] | undefined> {
  if (file === undefined) return undefined;
  const fields = datasetFieldsFromText(await readText(file, 'dataset'));
  if (fields.length === 0)
    throw new UsageError(`dataset ${file} has no JSON object lines to take field names from`);
  return fields;
}

async function load(file: string, fields: string[] | undefined): Promise<LoadedRules> {
  try {
    return await loadRulesFile(file, fields);
  } catch (err) {
    if (err instanceof RulesFileError) {
      process.stderr.write(`${err.message}\n`);
      throw new UsageError(`${file} has errors; fix them first (bnpo rules check ${file})`);
    }
    throw err;
  }
}

async function check(files: string[], dataset: string | undefined): Promise<number> {
  if (files.length === 0) throw new UsageError('check needs a FILE');
  const fields = await datasetFields(dataset);
  let errors = 0;
  for (const file of files) {
    const text = await readText(file, 'rule file');
    const { diagnostics, rules } = checkRulesText(
      text,
      fields === undefined ? {} : { datasetFields: fields },
    );
    for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(file, d)}\n`);
    errors += diagnostics.filter((d) => d.severity === 'error').length;
    if (rules !== undefined) {
      const rewards = rules.rules.filter((r) => r.reward).length;
      process.stdout.write(`${file}: ok, ${rules.rules.length} rules (${rewards} rewards)\n`);
    }
  }
  return errors > 0 ? 1 : 0;
}

async function test(file: string, samplesFile: string, dataset: string | undefined): Promise<number> {
  const loaded = await load(file, await datasetFields(dataset));
  for (const w of loaded.warnings) process.stderr.write(`${w}\n`);
  const { items, problems } = parseSamplesText(await readText(samplesFile, 'samples file'));
  for (const p of problems) process.stderr.write(`${samplesFile}:${p.line}: ${p.message}\n`);
  if (items.length === 0) throw new UsageError(`${samplesFile} holds no sample completions`);
  const report = testRules(loaded.compiled, items);
  process.stdout.write(formatReportText(report, `${file} on ${samplesFile}`));
  return 0;
}

async function audit(
  file: string,
  dataset: string | undefined,
  cap: string | undefined,
  json: boolean,
): Promise<number> {
  const capChars = cap === undefined ? undefined : Number(cap);
  if (capChars !== undefined && !(Number.isInteger(capChars) && capChars > 0))
    throw new UsageError(`--cap must be a positive whole number of characters, got '${cap}'`);
  const { compiled } = await load(file, await datasetFields(dataset));
  let rows: Record<string, unknown>[] = [];
  if (dataset !== undefined) {
    const read = datasetRowsFromText(await readText(dataset, 'dataset'));
    for (const p of read.problems) process.stderr.write(`${dataset}:${p.line}: ${p.message}, skipped\n`);
    rows = read.rows;
  }
  const report = auditRules(compiled, rows, capChars === undefined ? {} : { cap: capChars });
  const title = `${file}${dataset === undefined ? ' (no dataset: gold answer 42)' : ` on ${dataset}`}`;
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatAuditText(report, title));
  return report.rules.some(rewardsNothing) ? 1 : 0;
}

/** The run audit over a run's samples.jsonl, one audit.jsonl record per step, in step order. */
async function auditReplay(
  file: string,
  samplesFile: string,
  cap: string | undefined,
  accuracy: string | undefined,
): Promise<number> {
  const capTokens = Number(cap);
  if (cap === undefined || !(Number.isInteger(capTokens) && capTokens > 0))
    throw new UsageError(`--run-samples needs --cap-tokens, a positive whole number of tokens`);
  const { compiled } = await load(file, undefined);
  if (accuracy !== undefined && !compiled.names.includes(accuracy))
    throw new UsageError(`--accuracy '${accuracy}' is not a reward rule of ${file}`);
  const steps = new Map<number, AuditItem[]>();
  const lines = (await readText(samplesFile, 'samples file')).split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: ReturnType<typeof SamplesRecordSchema.safeParse>;
    try {
      parsed = SamplesRecordSchema.safeParse(JSON.parse(line));
    } catch {
      throw new UsageError(`${samplesFile}:${i + 1}: not JSON`);
    }
    if (!parsed.success) throw new UsageError(`${samplesFile}:${i + 1}: not a samples.jsonl record`);
    const items = steps.get(parsed.data.step) ?? [];
    steps.set(parsed.data.step, items);
    const group = new Set(items.map((it) => it.group)).size;
    for (const c of parsed.data.completions)
      items.push({ text: c.text, tokens: c.tokens, truncated: c.truncated, group, rewards: c.rewards });
  });
  const audit = new RunAudit(auditSetup(compiled.rules, capTokens, accuracy ?? null));
  for (const step of [...steps.keys()].sort((a, b) => a - b)) {
    const { record } = audit.observe(step, steps.get(step) ?? []);
    process.stdout.write(`${JSON.stringify({ v: RUN_DIR_VERSION, ...record })}\n`);
  }
  return 0;
}

function write(message: RulesServeReady | RulesServeResponse | RulesServeError): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function serve(file: string, dataset: string | undefined): Promise<number> {
  const { compiled } = await load(file, await datasetFields(dataset));
  write({ type: 'ready', rules: [...compiled.names], weights: { ...compiled.weights }, rulesFile: file });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      write({
        type: 'error',
        id: null,
        error: `not JSON: ${err instanceof Error ? err.message : String(err)}`,
      });
      continue;
    }
    const request = RulesServeRequestSchema.safeParse(value);
    if (!request.success) {
      const id = typeof value === 'object' && value !== null && 'id' in value ? value.id : null;
      const issue = request.error.issues[0];
      write({
        type: 'error',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        error: `bad request: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`,
      });
      continue;
    }
    const results = request.data.items.map((item): RulesServeResult => {
      const outcomes = compiled.evaluate(item.completion, item.sample);
      const result: RulesServeResult = {
        rewards: Object.fromEntries(outcomes.map((o) => [o.name, o.reward])),
        reasons: Object.fromEntries(outcomes.map((o) => [o.name, o.reason])),
        total: weightedSum(outcomes, compiled.weights),
      };
      const errors = outcomes.filter((o) => o.error !== undefined);
      if (errors.length > 0) result.errors = Object.fromEntries(errors.map((o) => [o.name, o.error ?? '']));
      return result;
    });
    write({ type: 'result', id: request.data.id, results });
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      dataset: { type: 'string' },
      samples: { type: 'string' },
      rules: { type: 'string' },
      cap: { type: 'string' },
      json: { type: 'boolean' },
      'run-samples': { type: 'string' },
      'cap-tokens': { type: 'string' },
      accuracy: { type: 'string' },
    },
    USAGE,
    { positionals: true },
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [sub, ...files] = positionals;
  switch (sub) {
    case 'check':
      return check(files, values.dataset);
    case 'test': {
      const [file, extra] = files;
      if (file === undefined || extra !== undefined) throw new UsageError('test needs exactly one rule FILE');
      if (values.samples === undefined) throw new UsageError('test needs --samples JSONL');
      return test(file, values.samples, values.dataset);
    }
    case 'audit': {
      const [file, extra] = files;
      if (file === undefined || extra !== undefined)
        throw new UsageError('audit needs exactly one rule FILE');
      const replay = values['run-samples'];
      if (replay !== undefined) return auditReplay(file, replay, values['cap-tokens'], values.accuracy);
      return audit(file, values.dataset, values.cap, values.json === true);
    }
    case 'serve': {
      const file = values.rules ?? files[0];
      if (file === undefined) throw new UsageError('serve needs --rules FILE');
      return serve(file, values.dataset);
    }
    default:
      // One line naming what was wrong; the full usage is one `--help` away.
      throw new UsageError(
        `${sub === undefined ? 'missing sub-command' : `unknown sub-command '${sub}'`}: ` +
          'use check, test, audit or serve (bnpo rules --help)',
      );
  }
}
