// What counts as a reward-rule document, and the parse of its current (possibly unsaved) text.
import { getLocation, parseTree, type Location, type Node } from 'jsonc-parser';
import type * as vscode from 'vscode';
import { findDeepNesting } from '../../core/jsonNesting';
import { rulesFileSuffix } from '../../core/rules/schema';

/** Any scheme: files on disk, untitled files named *.rewards.json, remote workspaces. */
export const rulesSelector: vscode.DocumentSelector = [{ pattern: `**/*${rulesFileSuffix}` }];

export function isRulesDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith(rulesFileSuffix);
}

// jsonc-parser recurses once per nesting level. Text nested past findDeepNesting's limit gets no tree and no
// location, so hover, completion, definition and code lenses offer nothing; checkRulesText's one diagnostic says why.

/** The document's syntax tree; undefined when it is empty or nested too deep to walk. */
export function parseRulesText(text: string): Node | undefined {
  return findDeepNesting(text) === undefined ? parseTree(text) : undefined;
}

/** The JSON path at an offset; undefined when the text is nested too deep to walk. */
export function rulesLocation(text: string, offset: number): Location | undefined {
  return findDeepNesting(text) === undefined ? getLocation(text, offset) : undefined;
}

/** A property's value node inside an object node (`rule.name`, `rule.kind`). */
export function propertyValue(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1];
}
