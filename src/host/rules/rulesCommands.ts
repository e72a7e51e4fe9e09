// "BNPO: New Reward Rules File" and "BNPO: Test Reward Rules on Samples".
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compileRules } from '../../core/rules/engine';
import { checkRulesText } from '../../core/rules/check';
import type { RulesTestReport } from '../../core/rules/report';
import { formatReportMarkdown, testRules } from '../../core/rules/report';
import { parseSamplesText } from '../../core/rules/samplesFile';
import { runFile } from '../../runDir/layout';
import { workspaceFolderFor } from '../editorConfig';
import { datasetFieldsFor } from './datasetFields';
import { isRulesDocument } from './rulesDocument';
import { latestRunFor } from './rulesHover';
import { starterRulesFile } from './snippets';

export const reportScheme = 'bnpo-rules-report';

/** Read-only Markdown documents holding the reports, shown in the Markdown preview. */
export class RulesReportProvider implements vscode.TextDocumentContentProvider {
  private readonly reports = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  show(name: string, markdown: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: reportScheme, path: `/${name}.md` });
    this.reports.set(uri.toString(), markdown);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Arguments the command accepts from the code lens (a Uri) or from scripts and tests (an object). */
export interface TestRulesArgs {
  rules?: vscode.Uri;
  samples?: vscode.Uri;
  /** skip opening the preview (tests) */
  quiet?: boolean;
}

export interface TestRulesResult {
  report: RulesTestReport;
  markdown: string;
  samples: string;
}

export async function textOf(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open !== undefined) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

async function pickSamples(rules: vscode.Uri): Promise<vscode.Uri | undefined> {
  const run = await latestRunFor(rules);
  const runSamples = run === undefined ? undefined : vscode.Uri.file(runFile(run.dir, 'samples'));
  let hasRunSamples = false;
  if (runSamples !== undefined) {
    try {
      await vscode.workspace.fs.stat(runSamples);
      hasRunSamples = true;
    } catch {
      hasRunSamples = false;
    }
  }
  if (hasRunSamples && runSamples !== undefined && run !== undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: `$(history) Latest run's samples`, description: run.id, uri: runSamples },
        { label: '$(folder-opened) Choose a samples file…', description: '', uri: undefined },
      ],
      { title: 'Test reward rules on…' },
    );
    if (choice === undefined) return undefined;
    if (choice.uri !== undefined) return choice.uri;
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'Samples to test the rules on (JSONL: {"completion": "...", "sample": {...}} per line)',
    canSelectMany: false,
    filters: { 'JSON lines': ['jsonl', 'json'], 'All files': ['*'] },
    defaultUri: workspaceFolderFor(rules)?.uri,
  });
  return picked?.[0];
}

export async function testRulesCommand(
  reports: RulesReportProvider,
  arg?: vscode.Uri | TestRulesArgs,
): Promise<TestRulesResult | undefined> {
  const args: TestRulesArgs = arg instanceof vscode.Uri ? { rules: arg } : (arg ?? {});
  const rulesUri = rulesFileFor(args.rules, 'Test rules on samples');
  if (rulesUri === undefined) return undefined;
  const name = path.basename(rulesUri.path);
  const dataset = await datasetFieldsFor(rulesUri);
  const checked = checkRulesText(await textOf(rulesUri), { datasetFields: dataset.fields });
  const firstError = checked.diagnostics.find(
    (d) => d.severity === 'error' && !(d.code === 'unknown-field' && dataset.file === undefined),
  );
  if (checked.rules === undefined && firstError !== undefined) {
    void vscode.window.showErrorMessage(
      `${name}:${firstError.range.start.line + 1}:${firstError.range.start.character + 1}: ${firstError.message}`,
    );
    return undefined;
  }
  // unknown fields against the built-in defaults are only warnings in the editor, so compile without that check
  const rules = checked.rules ?? checkRulesText(await textOf(rulesUri)).rules;
  if (rules === undefined) return undefined;

  const samplesUri = args.samples ?? (await pickSamples(rulesUri));
  if (samplesUri === undefined) return undefined;
  const samplesText =
    samplesUri.scheme === 'file' ? await readFile(samplesUri.fsPath, 'utf8') : await textOf(samplesUri);
  const { items, problems } = parseSamplesText(samplesText);
  if (items.length === 0) {
    const why = problems[0] !== undefined ? ` (line ${problems[0].line}: ${problems[0].message})` : '';
    void vscode.window.showErrorMessage(
      `${path.basename(samplesUri.path)} holds no sample completions${why}.`,
    );
    return undefined;
  }
  const report = testRules(compileRules(rules), items);
  let markdown = formatReportMarkdown(report, `${name} on ${path.basename(samplesUri.path)}`);
  if (problems.length > 0) {
    markdown += `\n${problems.length} samples line(s) skipped: ${problems
      .slice(0, 5)
      .map((p) => `line ${p.line}: ${p.message}`)
      .join('; ')}\n`;
  }
  if (args.quiet !== true) await showReport(reports, `${name} — rule test`, markdown);
  return { report, markdown, samples: samplesUri.toString() };
}

/** The rules file a command works on: the one given, else the active editor's; else says how to pick one. */
export function rulesFileFor(given: vscode.Uri | undefined, lens: string): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document;
  const uri = given ?? (active !== undefined && isRulesDocument(active) ? active.uri : undefined);
  if (uri === undefined)
    void vscode.window.showErrorMessage(
      `Open a *.rewards.json file first, or run this from its "${lens}" lens.`,
    );
  return uri;
}

/** Shows a Markdown report in the preview beside the editor. */
export async function showReport(
  reports: RulesReportProvider,
  title: string,
  markdown: string,
): Promise<void> {
  const uri = reports.show(title, markdown);
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
  } catch {
    // no Markdown preview (e.g. the built-in extension is disabled): show the Markdown text itself
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
  }
}

/** An untitled `*.rewards.json` (so the schema and our checks apply at once) holding the commented starter. */
export async function newRulesFileCommand(): Promise<vscode.Uri> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const base = folder?.uri.fsPath;
  let uri: vscode.Uri | undefined;
  for (let k = 1; uri === undefined; k++) {
    const file = `${k === 1 ? 'rewards' : `rewards-${k}`}.rewards.json`;
    const candidate = base === undefined ? file : path.join(base, file);
    const exists =
      vscode.workspace.textDocuments.some((d) => d.uri.path.endsWith(`/${file}`)) ||
      (base !== undefined &&
        (await vscode.workspace.fs.stat(vscode.Uri.file(candidate)).then(
          () => true,
          () => false,
        )));
    if (!exists) uri = vscode.Uri.from({ scheme: 'untitled', path: candidate });
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc);
  await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), starterRulesFile));
  return uri;
}
