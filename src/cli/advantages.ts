// `bnpo advantages`: grouped rewards in (JSON, file or stdin), advantages and per-rule Beta-fit stats out
// (JSON, stdout). The contract lives in src/protocol/advantages.ts.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JSONPath, ParseError } from 'jsonc-parser';
import { findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { EstimatorName } from '../core/estimators';
import { computeAdvantages, ESTIMATOR_NAMES, isEstimatorName, RewardGroupsError } from '../core/estimators';
import type { AdvantagesInput, AdvantagesOutput } from '../protocol/advantages';
import { advantagesInputSchema, SINGLE_RULE_NAME } from '../protocol/advantages';
import { UsageError } from './usage';

export const USAGE = `usage: bnpo advantages [--input FILE] [--estimator NAME] [--range lo,hi]

Reads grouped rewards as JSON (from FILE, or stdin when --input is absent or "-") and writes advantages as JSON.

  input:   {"groups": [[1,0,0,1], [0,0,1,1]]}             one reward list per prompt group (rule "${SINGLE_RULE_NAME}")
           {"groups": [[{"accuracy":1,"format":1}, ...]]}  several reward rules per completion (decomposition)
           {"groups": [[1,0],[0,1]], "lengths": [[3,5],[2,4]]}  with tokens per completion (default 1 each;
                                                             REINFORCE++ whitens per token, the others ignore it)
  output:  {"estimator", "advantages": [[...]], "stats": {"<rule>": {pHat, mean, var, a, b, alpha, beta, guard}}}

options:
  --input FILE       read this file instead of stdin
  --estimator NAME   ${ESTIMATOR_NAMES.join(' | ')} (default bnpo)
  --range lo,hi      rewards lie in [lo,hi]; each is rescaled to (r-lo)/(hi-lo) first (default 0,1)
  -h, --help         print this help

Exit status: 0 ok, 2 bad usage or bad input (one line on stderr says what and where).
Note: "bnpo" here is Beta Normalization Policy Optimization, not TRL's batch-normalized loss_type="bnpo".
`;

interface Options {
  readonly help: boolean;
  readonly input: string | undefined;
  readonly estimator: EstimatorName;
  readonly range: readonly [number, number] | undefined;
}

export async function run(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { text, source } = await readInput(options.input);
  const input = parseInput(text, source);
  const groups = toRuleRecords(input, options.range, text, source);
  let result;
  try {
    result = computeAdvantages(groups, options.estimator, input.lengths);
  } catch (err) {
    if (!(err instanceof RewardGroupsError)) throw err;
    const hint = err.kind === 'range' ? '; pass --range lo,hi to rescale rewards from another range' : '';
    const at =
      err.kind === 'lengths'
        ? lengthsPath(err.group, err.sample)
        : rewardPath(input, err.group, err.sample, err.rule);
    throw located(text, source, at, err.message + hint);
  }
  const output: AdvantagesOutput = {
    estimator: result.estimator,
    advantages: result.advantages,
    stats: Object.fromEntries(
      result.rules.map((rule) => {
        const s = result.stats[rule];
        if (s === undefined) throw new Error(`no statistics for rule '${rule}'`);
        const { pHat, mean, alpha, beta, guard } = s;
        // A guarded fit has no Beta(a, b); JSON has no NaN, so say null explicitly.
        const a = Number.isFinite(s.a) ? s.a : null;
        const b = Number.isFinite(s.b) ? s.b : null;
        return [rule, { pHat, mean, var: s.var, a, b, alpha, beta, guard }];
      }),
    ),
  };
  process.stdout.write(JSON.stringify(output) + '\n');
  return 0;
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        estimator: { type: 'string' },
        range: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    const text = err instanceof Error ? err.message.replace(/\s*\n\s*/g, ' ') : String(err);
    // For unknown options and stray arguments parseArgs adds advice about '--' that does not apply here
    // (no positionals are taken); its first sentence is the diagnosis.
    const code = (err as { code?: unknown }).code;
    const brief =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
        ? (text.split(/\.\s/)[0] ?? text)
        : text;
    throw new UsageError(`${brief} (see --help)`);
  }
  const estimator = values.estimator ?? 'bnpo';
  if (!isEstimatorName(estimator)) {
    throw new UsageError(`unknown estimator '${estimator}'; expected one of ${ESTIMATOR_NAMES.join(', ')}`);
  }
  return {
    help: values.help ?? false,
    input: values.input,
    estimator,
    range: values.range === undefined ? undefined : parseRange(values.range),
  };
}

function parseRange(text: string): [number, number] {
  const parts = text.split(',');
  const [lo, hi] = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (
    parts.length !== 2 ||
    lo === undefined ||
    hi === undefined ||
    !Number.isFinite(lo) ||
    !Number.isFinite(hi)
  ) {
    throw new UsageError(`--range '${text}' is not two numbers 'lo,hi'`);
  }
  if (!(lo < hi)) throw new UsageError(`--range '${text}' needs lo < hi`);
  return [lo, hi];
}

async function readInput(file: string | undefined): Promise<{ text: string; source: string }> {
  if (file !== undefined && file !== '-') {
    try {
      return { text: stripBom(readFileSync(file, 'utf8')), source: file };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new UsageError(`cannot read --input ${file}: ${reason}`);
    }
  }
  if (process.stdin.isTTY)
    throw new UsageError('no input: pass --input FILE or pipe JSON on stdin (see --help)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return { text: stripBom(Buffer.concat(chunks).toString('utf8')), source: '<stdin>' };
}

/** Editors on Windows may save JSON with a byte-order mark, which JSON.parse rejects. */
function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseInput(text: string, source: string): AdvantagesInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(text, source, err);
  }
  const parsed = advantagesInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue === undefined) throw new UsageError(`${source}: input does not match the contract`);
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const [field, group, sample] = path;
    const where =
      typeof group === 'number'
        ? `${field === 'lengths' ? 'lengths ' : ''}group ${group}${typeof sample === 'number' ? `, sample ${sample}` : ''}: `
        : '';
    throw located(text, source, path, `${where}${issue.message}`);
  }
  return parsed.data;
}

/** Plain numbers become the single rule `reward`; --range rescales every reward into [0, 1]. */
function toRuleRecords(
  input: AdvantagesInput,
  range: readonly [number, number] | undefined,
  text: string,
  source: string,
): Record<string, number>[][] {
  return input.groups.map((group, i) =>
    group.map((completion, j) => {
      const rewards = typeof completion === 'number' ? { [SINGLE_RULE_NAME]: completion } : completion;
      if (range === undefined) return rewards;
      const [lo, hi] = range;
      return Object.fromEntries(
        Object.entries(rewards).map(([rule, r]) => {
          if (!(r >= lo && r <= hi)) {
            const where = typeof completion === 'number' ? '' : `, rule '${rule}'`;
            throw located(
              text,
              source,
              rewardPath(input, i, j, rule),
              `group ${i}, sample ${j}${where}: reward ${r} is outside --range ${lo},${hi}`,
            );
          }
          return [rule, (r - lo) / (hi - lo)];
        }),
      );
    }),
  );
}

/** The JSON path of a reward in the input as written (numbers have no rule key). */
function rewardPath(input: AdvantagesInput, group?: number, sample?: number, rule?: string): JSONPath {
  const path: JSONPath = ['groups'];
  if (group === undefined) return path;
  path.push(group);
  if (sample === undefined) return path;
  path.push(sample);
  const completion = input.groups[group]?.[sample];
  if (rule !== undefined && completion !== undefined && typeof completion !== 'number') path.push(rule);
  return path;
}

/** The JSON path of a token count in "lengths". */
function lengthsPath(group?: number, sample?: number): JSONPath {
  return ['lengths', ...(group === undefined ? [] : [group]), ...(sample === undefined ? [] : [sample])];
}

/** A UsageError prefixed with `source:line:col` of the JSON value at `path` (just `source` when not found). */
function located(text: string, source: string, path: JSONPath, message: string): UsageError {
  const root = parseTree(text);
  const node = root === undefined ? undefined : findNodeAtLocation(root, path);
  return new UsageError(
    `${source}${node === undefined ? '' : `:${lineColumn(text, node.offset)}`}: ${message}`,
  );
}

function jsonSyntaxError(text: string, source: string, err: unknown): UsageError {
  if (text.trim() === '')
    return new UsageError(`${source}: input is empty; expected JSON like {"groups": [[1,0],[0,1]]}`);
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) {
    return new UsageError(`${source}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const what = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return new UsageError(`${source}:${lineColumn(text, first.offset)}: not valid JSON: ${what}`);
}

/** 1-based `line:column` of a character offset. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `${line}:${offset - start + 1}`;
}
