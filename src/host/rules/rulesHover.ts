// Hover on a rule's name, or on a combinator's reference to it: what the rule does in one sentence and, when a
// run scored with this file, the rule's latest pass rate and Beta fit there.
import type { Node } from 'jsonc-parser';
import { findNodeAtLocation, getNodeValue } from 'jsonc-parser';
import * as vscode from 'vscode';
import { escapeMarkdown, markdownCode } from '../../core/markdown';
import { describeRule } from '../../core/rules/describe';
import { ruleSchema } from '../../core/rules/schema';
import { readConfig, workspaceFolderFor } from '../editorConfig';
import type { RuleRunFigures, RunRef } from './runLookup';
import { latestRuleFigures, latestRunForRules } from './runLookup';
import { parseRulesText, propertyValue, rulesLocation } from './rulesDocument';

/** The latest run under the runs folder that used this rule file (file-scheme documents in a folder only). */
export async function latestRunFor(uri: vscode.Uri): Promise<RunRef | undefined> {
  const folder = workspaceFolderFor(uri);
  if (folder === undefined || uri.scheme !== 'file') return undefined;
  return latestRunForRules(readConfig(uri).runsFolder, uri.fsPath, [folder.uri.fsPath]);
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toPrecision(digits) : String(x);
}

export function runFiguresMarkdown(rule: string, run: RunRef, figures: RuleRunFigures | undefined): string {
  // the run's id, status and guard come from its folder: escaped, never read as Markdown
  const head = `Run ${markdownCode(run.id)}${run.status !== undefined ? ` (${escapeMarkdown(run.status)})` : ''}`;
  if (figures === undefined) return `${head}: no metrics yet.`;
  const parts = [`${head}, step ${figures.step}:`];
  parts.push(
    figures.passRate === undefined
      ? `no reward recorded for ${markdownCode(rule)}`
      : `pass rate **${(100 * figures.passRate).toFixed(1)}%**`,
  );
  if (figures.beta !== undefined) {
    const b = figures.beta;
    const fit = `Beta fit α = ${fmt(b.alpha)}, β = ${fmt(b.beta)}`;
    const ab = b.a !== undefined && b.b !== undefined ? ` (a = ${fmt(b.a)}, b = ${fmt(b.b)})` : '';
    parts.push(`${fit}${ab}${b.guard ? ` — guard: ${escapeMarkdown(b.guard)}` : ''}`);
  }
  return parts.join(' ');
}

/** The rule a hover position names: its own `name`, or a reference inside `all`/`any`/`not`. */
function hoveredRule(
  text: string,
  offset: number,
): { nameNode: Node; ruleNode: Node | undefined } | undefined {
  const path = rulesLocation(text, offset)?.path ?? [];
  const [top, index, key] = path;
  if (top !== 'rules' || typeof index !== 'number') return undefined;
  const isName = key === 'name' && path.length === 3;
  const isReference =
    (key === 'rules' && path.length === 4 && typeof path[3] === 'number') ||
    (key === 'rule' && path.length === 3);
  if (!isName && !isReference) return undefined;
  const root = parseRulesText(text);
  const nameNode = root === undefined ? undefined : findNodeAtLocation(root, path);
  if (root === undefined || nameNode === undefined || typeof nameNode.value !== 'string') return undefined;
  if (isName) return { nameNode, ruleNode: findNodeAtLocation(root, ['rules', index]) };
  const target = findNodeAtLocation(root, ['rules'])?.children?.find(
    (r) => propertyValue(r, 'name')?.value === nameNode.value,
  );
  return { nameNode, ruleNode: target };
}

export class RulesHoverProvider implements vscode.HoverProvider {
  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const hovered = hoveredRule(doc.getText(), doc.offsetAt(position));
    if (hovered === undefined) return undefined;
    const { nameNode, ruleNode } = hovered;
    const name = String(nameNode.value);
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMarkdown(name)}**`);
    const rule = ruleNode === undefined ? undefined : ruleSchema.safeParse(getNodeValue(ruleNode));
    if (rule === undefined) {
      md.appendMarkdown(' — no rule of this name in this file.');
    } else if (rule.success) {
      md.appendMarkdown(` — ${describeRule(rule.data)}`);
      if (!rule.data.reward)
        md.appendMarkdown(' A helper (`"reward": false`): not a reward component itself.');
    } else {
      md.appendMarkdown(' — this rule has errors; fix them to see what it does.');
    }
    const run = await latestRunFor(doc.uri);
    if (run !== undefined && rule !== undefined) {
      md.appendMarkdown(`\n\n${runFiguresMarkdown(name, run, await latestRuleFigures(run.dir, name))}`);
    }
    const range = new vscode.Range(
      doc.positionAt(nameNode.offset),
      doc.positionAt(nameNode.offset + nameNode.length),
    );
    return new vscode.Hover(md, range);
  }
}
