// A dry run of a rule file on sample completions: per-rule pass counts and the reasons for failures, as a plain
// text table (CLI) or Markdown (editor preview).
import type { CompiledRules, RuleOutcome } from './engine';

/** One completion to score, with the dataset row the rules see. */
export interface SampleItem {
  completion: string;
  sample: Record<string, unknown>;
  /** 1-based line of the samples file */
  line: number;
  /** where it came from, e.g. `step 10, p1 #2` */
  label: string;
}

export interface RuleSummary {
  name: string;
  /** false for helper rules (`"reward": false`) */
  reward: boolean;
  passed: number;
  total: number;
  errors: number;
  failures: { label: string; reason: string }[];
}

export interface RulesTestReport {
  rules: RuleSummary[];
  /** per item, every rule's outcome (helpers included), parallel to the items */
  outcomes: RuleOutcome[][];
  items: number;
}

export function testRules(compiled: CompiledRules, items: readonly SampleItem[]): RulesTestReport {
  const rewarded = new Set(compiled.names);
  const rules: RuleSummary[] = compiled.allNames.map((name) => ({
    name,
    reward: rewarded.has(name),
    passed: 0,
    total: 0,
    errors: 0,
    failures: [],
  }));
  const outcomes = items.map((item) => {
    const out = compiled.evaluateAll(item.completion, item.sample);
    out.forEach((o, k) => {
      const s = rules[k];
      if (s === undefined) return;
      s.total++;
      if (o.reward === 1) s.passed++;
      else s.failures.push({ label: item.label, reason: o.reason });
      if (o.error !== undefined) s.errors++;
    });
    return out;
  });
  return { rules, outcomes, items: items.length };
}

function percent(passed: number, total: number): string {
  return total === 0 ? '–' : `${((100 * passed) / total).toFixed(1)}%`;
}

const maxFailuresShown = 5;

export function formatReportText(report: RulesTestReport, title: string): string {
  const head = ['rule', 'passed', 'rate', 'errors'];
  const rows = report.rules.map((r) => [
    r.reward ? r.name : `${r.name} (helper)`,
    `${r.passed}/${r.total}`,
    percent(r.passed, r.total),
    String(r.errors),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  const out = [
    `${title}: ${report.items} completions`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  for (const r of report.rules) {
    if (r.failures.length === 0) continue;
    out.push('', `${r.name} failed on:`);
    for (const f of r.failures.slice(0, maxFailuresShown)) out.push(`  ${f.label}: ${f.reason}`);
    if (r.failures.length > maxFailuresShown)
      out.push(`  … and ${r.failures.length - maxFailuresShown} more`);
  }
  return `${out.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}

export function formatReportMarkdown(report: RulesTestReport, title: string): string {
  const out = [
    `# ${cell(title)}`,
    '',
    `${report.items} completions.`,
    '',
    '| Rule | Passed | Rate | Errors |',
    '|---|---:|---:|---:|',
    ...report.rules.map(
      (r) =>
        `| \`${r.name}\`${r.reward ? '' : ' (helper)'} | ${r.passed}/${r.total} | ${percent(r.passed, r.total)} | ${r.errors} |`,
    ),
  ];
  for (const r of report.rules) {
    if (r.failures.length === 0) continue;
    out.push(
      '',
      `## \`${r.name}\` failed on ${r.failures.length} of ${r.total}`,
      '',
      '| Sample | Reason |',
      '|---|---|',
    );
    for (const f of r.failures.slice(0, 20)) out.push(`| ${cell(f.label)} | ${cell(f.reason)} |`);
    if (r.failures.length > 20) out.push('', `… and ${r.failures.length - 20} more.`);
  }
  return `${out.join('\n')}\n`;
}
