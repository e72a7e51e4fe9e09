// Go to Definition on a combinator's reference (`"rules": ["format"]`, `"rule": "format"`) jumps to that rule.
import { findNodeAtLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { parseRulesText, propertyValue, rulesLocation } from './rulesDocument';

export class RulesDefinitionProvider implements vscode.DefinitionProvider {
  provideDefinition(doc: vscode.TextDocument, position: vscode.Position): vscode.Location | undefined {
    const text = doc.getText();
    const path = rulesLocation(text, doc.offsetAt(position))?.path ?? [];
    const [top, index, key] = path;
    const isReference =
      top === 'rules' &&
      typeof index === 'number' &&
      ((key === 'rules' && path.length === 4 && typeof path[3] === 'number') ||
        (key === 'rule' && path.length === 3));
    if (!isReference) return undefined;
    const root = parseRulesText(text);
    const name: unknown = root === undefined ? undefined : findNodeAtLocation(root, path)?.value;
    if (root === undefined || typeof name !== 'string') return undefined;
    for (const rule of findNodeAtLocation(root, ['rules'])?.children ?? []) {
      const nameNode = propertyValue(rule, 'name');
      if (nameNode?.value === name) {
        return new vscode.Location(
          doc.uri,
          new vscode.Range(
            doc.positionAt(nameNode.offset),
            doc.positionAt(nameNode.offset + nameNode.length),
          ),
        );
      }
    }
    return undefined;
  }
}
