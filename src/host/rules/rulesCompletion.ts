// Completion for what only we know; the JSON Schema (contributes.jsonValidation) already completes property
// names, kinds and enum values. Here: dataset field names, extractors with their docs, the names of the other
// rules inside combinators, and whole-rule snippets inside the `rules` array.
import type { Location } from 'jsonc-parser';
import { findNodeAtLocation } from 'jsonc-parser';
import * as vscode from 'vscode';
import { datasetFieldsFor } from './datasetFields';
import { ruleSnippets } from './snippets';
import { parseRulesText, propertyValue, rulesLocation } from './rulesDocument';

interface ExtractorDoc {
  type: string;
  body: string;
  doc: string;
}

export const extractorDocs: readonly ExtractorDoc[] = [
  {
    type: 'lastNumber',
    body: '{ "type": "lastNumber" }',
    doc: 'The last number in the completion: `-3`, `1,234.5`, `2e-3`, `3/4`.',
  },
  {
    type: 'boxed',
    body: '{ "type": "boxed" }',
    doc: 'The content of the last `\\boxed{…}` (nested braces allowed): `\\boxed{\\frac{1}{2}}` gives `\\frac{1}{2}`.',
  },
  {
    type: 'tag',
    body: '{ "type": "tag", "tag": "${1:answer}" }',
    doc: 'The content of the last `<tag>…</tag>` pair, e.g. `<answer>42</answer>` gives `42`.',
  },
  {
    type: 'regex',
    body: '{ "type": "regex", "pattern": "${1:answer is (\\\\\\\\S+)}", "group": ${2:1} }',
    doc: 'A capture group of the last match of a regular expression (RE2 syntax: linear time, no backreferences or lookaround).',
  },
];

/** The range of the string being typed (quotes included), or an empty range at the cursor. */
function replaceRange(doc: vscode.TextDocument, position: vscode.Position, location: Location): vscode.Range {
  const node = location.previousNode;
  if (node !== undefined && node.type === 'string') {
    return new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset + node.length));
  }
  return new vscode.Range(position, position);
}

function valueItem(
  label: string,
  kind: vscode.CompletionItemKind,
  range: vscode.Range,
  detail: string,
  documentation?: string,
): vscode.CompletionItem {
  const item = new vscode.CompletionItem(label, kind);
  item.insertText = JSON.stringify(label);
  item.filterText = JSON.stringify(label);
  item.range = range;
  item.detail = detail;
  if (documentation !== undefined) item.documentation = new vscode.MarkdownString(documentation);
  // our values first: the JSON Schema may offer generic ones for the same spot
  item.sortText = `0_${label}`;
  return item;
}

export class RulesCompletionProvider implements vscode.CompletionItemProvider {
  async provideCompletionItems(
    doc: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.CompletionItem[]> {
    const text = doc.getText();
    const location = rulesLocation(text, doc.offsetAt(position));
    if (location === undefined) return [];
    const path = location.path;
    if (path[0] !== 'rules' || location.isAtPropertyKey) return [];
    const ruleIndex = path[1];
    if (typeof ruleIndex !== 'number') return [];
    const range = replaceRange(doc, position, location);

    // a value of "field": the configured dataset's fields
    if (path.length === 3 && path[2] === 'field') {
      const dataset = await datasetFieldsFor(doc.uri);
      const source = dataset.file !== undefined ? `field of ${dataset.file}` : "built-in tasks' sample field";
      return dataset.fields.map((f) => valueItem(f, vscode.CompletionItemKind.Field, range, source));
    }

    // the value of "extract": one object per extractor, documented
    if (path.length === 3 && path[2] === 'extract' && location.previousNode === undefined) {
      return extractorDocs.map((e) => {
        const item = new vscode.CompletionItem(e.type, vscode.CompletionItemKind.Function);
        item.insertText = new vscode.SnippetString(e.body);
        item.detail = 'extractor';
        item.documentation = new vscode.MarkdownString(e.doc);
        item.range = range;
        item.sortText = `0_${e.type}`;
        return item;
      });
    }
    if (path.length === 4 && path[2] === 'extract' && path[3] === 'type') {
      return extractorDocs.map((e) =>
        valueItem(e.type, vscode.CompletionItemKind.Function, range, 'extractor', e.doc),
      );
    }

    // inside a combinator: the other rules of this file
    const inCombinator =
      (path.length === 4 && path[2] === 'rules' && typeof path[3] === 'number') ||
      (path.length === 3 && path[2] === 'rule');
    if (inCombinator) {
      const root = parseRulesText(text);
      const rules = root === undefined ? undefined : findNodeAtLocation(root, ['rules']);
      const self: unknown =
        root === undefined ? undefined : findNodeAtLocation(root, ['rules', ruleIndex, 'name'])?.value;
      const items: vscode.CompletionItem[] = [];
      for (const [k, rule] of (rules?.children ?? []).entries()) {
        const name: unknown = propertyValue(rule, 'name')?.value;
        const kind: unknown = propertyValue(rule, 'kind')?.value;
        if (typeof name !== 'string' || name === self || k === ruleIndex) continue;
        items.push(
          valueItem(
            name,
            vscode.CompletionItemKind.Reference,
            range,
            `rule ${k + 1}${typeof kind === 'string' ? ` (${kind})` : ''}`,
          ),
        );
      }
      return items;
    }

    // between rules: whole-rule snippets
    if (path.length === 2 && location.previousNode === undefined) {
      return ruleSnippets.map((s) => {
        const item = new vscode.CompletionItem(s.label, vscode.CompletionItemKind.Snippet);
        item.insertText = new vscode.SnippetString(s.body);
        item.detail = s.detail;
        item.documentation = new vscode.MarkdownString(s.documentation);
        item.range = range;
        item.sortText = `0_${s.label}`;
        return item;
      });
    }
    return [];
  }
}
