// What counts as a reward-rule document, and the parse of its current (possibly unsaved) text.
import type * as vscode from 'vscode';
import { rulesFileSuffix } from '../../core/rules/schema';

/** Any scheme: files on disk, untitled files named *.rewards.json, remote workspaces. */
export const rulesSelector: vscode.DocumentSelector = [{ pattern: `**/*${rulesFileSuffix}` }];

export function isRulesDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith(rulesFileSuffix);
}
