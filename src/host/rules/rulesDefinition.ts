// Go to Definition on a combinator's reference (`"rules": ["format"]`, `"rule": "format"`) jumps to that rule.
import { findNodeAtLocation, getLocation, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';

export class RulesDefinitionProvider implements vscode.DefinitionProvider {
  provideDefinition(doc: vscode.TextDocument, position: vscode.Position): vscode.Location | undefined {
    const text = doc.getText();
    const path = getLocation(text, doc.offsetAt(position)).path;
    const [top, index, key] = path;
    const isReference =
      top === 'rules' &&
      typeof index === 'number' &&
      ((key === 'rules' && path.length === 4 && typeof path[3] === 'number') ||
        (key === 'rule' && path.length === 3));
    if (!isReference) return undefined;
    const root = parseTree(text);
    const name: unknown = root === undefined ? undefined : findNodeAtLocation(root, path)?.value;
    if (root === undefined || typeof name !== 'string') return undefined;
    for (const rule of findNodeAtLocation(root, ['rules'])?.children ?? []) {
      const nameNode = rule.children?.find((p) => p.children?.[0]?.value === 'name')?.children?.[1];
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
