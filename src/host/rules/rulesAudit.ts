// "BNPO: Audit Reward Rules for Hacking" (the rules file's "Audit" lens): the pre-run audit of src/core/rules/audit.ts
// on the configured dataset (bnpo.rules.dataset; a gold answer of 42 without one), shown as a Markdown report.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuditReport } from '../../core/rules/audit';
import { auditRules, datasetRowsFromText, formatAuditMarkdown } from '../../core/rules/audit';
import { checkRulesText } from '../../core/rules/check';
import { compileRules } from '../../core/rules/engine';
import { readConfig } from '../editorConfig';
import type { RulesReportProvider } from './rulesCommands';
import { rulesFileFor, showReport, textOf } from './rulesCommands';

/** From the code lens (a Uri) or from tests (`{rules, quiet}`). */
export interface AuditRulesArgs {
  rules?: vscode.Uri;
  quiet?: boolean;
}

async function datasetRows(rules: vscode.Uri): Promise<Record<string, unknown>[]> {
  const file = readConfig(rules).rulesDataset;
  if (file === undefined) return [];
  try {
    return datasetRowsFromText(await readFile(file, 'utf8')).rows;
  } catch {
    return []; // the diagnostics already say the dataset cannot be read
  }
}

export async function auditRulesCommand(
  reports: RulesReportProvider,
  arg?: vscode.Uri | AuditRulesArgs,
): Promise<{ report: AuditReport; markdown: string } | undefined> {
  const args: AuditRulesArgs = arg instanceof vscode.Uri ? { rules: arg } : (arg ?? {});
  const uri = rulesFileFor(args.rules, 'Audit');
  if (uri === undefined) return undefined;
  const name = path.basename(uri.path);
  const text = await textOf(uri);
  const { rules, diagnostics } = checkRulesText(text);
  if (rules === undefined) {
    const e = diagnostics.find((d) => d.severity === 'error');
    void vscode.window.showErrorMessage(
      `${name}:${(e?.range.start.line ?? 0) + 1}: ${e?.message ?? 'has errors'}; fix it before auditing`,
    );
    return undefined;
  }
  const report = auditRules(compileRules(rules), await datasetRows(uri));
  const markdown = formatAuditMarkdown(report, name);
  if (args.quiet !== true) await showReport(reports, `${name} — reward audit`, markdown);
  return { report, markdown };
}
