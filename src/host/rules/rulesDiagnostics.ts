// Semantic diagnostics for reward-rule files, on open and on every change. Syntax and schema errors are already
// reported by VS Code's JSON support (through contributes.jsonValidation), so only ours are added here, and the one
// for text nested too deep for any JSON reader to walk.
import * as vscode from 'vscode';
import type { RuleDiagnostic } from '../../core/rules/check';
import { auditDiagnostics } from '../../core/rules/auditCheck';
import { TOO_DEEP, checkRulesText } from '../../core/rules/check';
import type { DatasetFields } from './datasetFields';
import { datasetFieldsFor } from './datasetFields';
import { onConfigChange } from '../editorConfig';
import { isRulesDocument } from './rulesDocument';

export function toVscodeDiagnostic(d: RuleDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(
    d.range.start.line,
    d.range.start.character,
    d.range.end.line,
    d.range.end.character,
  );
  const diagnostic = new vscode.Diagnostic(
    range,
    d.message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = 'bnpo rules';
  if (d.code !== undefined) diagnostic.code = d.code;
  return diagnostic;
}

/**
 * Semantic diagnostics of a text, with the audit's warning on rules that reward empty or tags-only output; unknown
 * fields are warnings unless a dataset is configured.
 */
export function semanticDiagnostics(text: string, dataset: DatasetFields): RuleDiagnostic[] {
  const checked = checkRulesText(text, { datasetFields: dataset.fields });
  const audited = checked.rules === undefined ? [] : auditDiagnostics(text, checked.rules);
  return [...checked.diagnostics, ...audited]
    .filter((d) => d.source === 'semantic' || d.code === TOO_DEEP)
    .map((d) => {
      if (d.code !== 'unknown-field' || dataset.file !== undefined) return d;
      return {
        ...d,
        severity: 'warning' as const,
        message: `${d.message} (the built-in tasks' fields; set bnpo.rules.dataset to check against your dataset)`,
      };
    });
}

export class RulesDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('bnpo-rules');
  private readonly subscriptions: vscode.Disposable[] = [];
  /** the newest refresh per document wins; an older one finishing late must not overwrite it */
  private readonly generation = new Map<string, number>();

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((doc) => this.refresh(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.refresh(e.document)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.collection.delete(doc.uri);
        this.generation.delete(doc.uri.toString());
      }),
      onConfigChange(['rules'], () => this.refreshAll()),
    );
    this.refreshAll();
  }

  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.refresh(doc);
  }

  refresh(doc: vscode.TextDocument): void {
    if (!isRulesDocument(doc)) return;
    const key = doc.uri.toString();
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const version = doc.version;
    void datasetFieldsFor(doc.uri).then((dataset) => {
      if (this.generation.get(key) !== generation || doc.isClosed || doc.version !== version) return;
      const diagnostics = semanticDiagnostics(doc.getText(), dataset).map(toVscodeDiagnostic);
      if (dataset.problem !== undefined) {
        const d = new vscode.Diagnostic(
          new vscode.Range(0, 0, 0, 0),
          dataset.problem,
          vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'bnpo rules';
        diagnostics.push(d);
      }
      this.collection.set(doc.uri, diagnostics);
    });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
