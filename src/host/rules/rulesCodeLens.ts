// "Test rules on samples" and "Audit" above the `rules` list of a reward-rule file.
import { findNodeAtLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../commandIds';
import { readConfig } from '../editorConfig';
import { parseRulesText } from './rulesDocument';

export class RulesCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!readConfig(doc.uri).rulesCodeLens) return [];
    const root = parseRulesText(doc.getText());
    const rules = root === undefined ? undefined : findNodeAtLocation(root, ['rules']);
    const key = rules?.parent?.children?.[0];
    if (key === undefined) return [];
    const start = doc.positionAt(key.offset);
    return [
      new vscode.CodeLens(new vscode.Range(start, start), {
        title: '$(beaker) Test rules on samples',
        tooltip: 'Run these rules on sample completions and show a per-rule pass table',
        command: COMMAND_IDS.testRules,
        arguments: [doc.uri],
      }),
      new vscode.CodeLens(new vscode.Range(start, start), {
        title: '$(shield) Audit',
        tooltip:
          'Score degenerate completions (empty, tags only, the answer repeated, …) and show which rules reward them',
        command: COMMAND_IDS.auditRules,
        arguments: [doc.uri],
      }),
    ];
  }
}
