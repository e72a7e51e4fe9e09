// Reward-rule IntelliSense inside the real editor: semantic diagnostics of a broken file, completion items,
// hover (with a run's figures), the code lens, and both commands.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestRulesResult } from '../../src/host/rules/rulesCommands';
import type { auditRulesCommand } from '../../src/host/rules/rulesAudit';

type AuditResult = NonNullable<Awaited<ReturnType<typeof auditRulesCommand>>>;

const EXTENSION_ID = 'bnpo-studio.bnpo-studio';

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration workspace has no folder');
  return folder.uri.fsPath;
}

function fixture(name: string): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  // the fixtures point $schema at the repository's copy; in the test workspace the manifest's association applies
  return fs
    .readFileSync(path.join(ext.extensionPath, 'test', 'fixtures', 'rules', name), 'utf8')
    .replace(/^\s*"\$schema".*\n/m, '');
}

function write(name: string, text: string): vscode.Uri {
  const file = path.join(workspaceDir(), name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return vscode.Uri.file(file);
}

async function ours(uri: vscode.Uri, count: number): Promise<vscode.Diagnostic[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const got = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'bnpo rules');
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function label(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

async function complete(uri: vscode.Uri, position: vscode.Position): Promise<vscode.CompletionItem[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    uri,
    position,
  );
  return list.items;
}

/** The position just after the n-th occurrence of `needle` in the document. */
function posAfter(doc: vscode.TextDocument, needle: string, nth = 0): vscode.Position {
  let at = -1;
  for (let k = 0; k <= nth; k++) at = doc.getText().indexOf(needle, at + 1);
  assert.ok(at >= 0, `${needle} not in ${doc.uri.path}`);
  return doc.positionAt(at + needle.length);
}

function rangeText(doc: vscode.TextDocument, d: vscode.Diagnostic): string {
  return doc.getText(d.range);
}

describe('reward rules in the editor', function () {
  this.timeout(30_000);

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('bnpo')
      .update('rules.dataset', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reports the semantic problems of a broken file with exact ranges', async () => {
    const uri = write('broken.rewards.json', fixture('broken.rewards.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await ours(uri, 4);
    const seen = diagnostics
      .map(
        (d) =>
          [d.range.start.line, d.range.start.character, rangeText(doc, d), d.severity, d.message] as const,
      )
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(
      seen.map(([line, , text, severity]) => [line, text, severity]),
      [
        [4, '"solution"', vscode.DiagnosticSeverity.Warning],
        [5, '"(\\\\w+) \\\\1"', vscode.DiagnosticSeverity.Error],
        [6, '"format"', vscode.DiagnosticSeverity.Error],
        [7, '"acuracy"', vscode.DiagnosticSeverity.Error],
      ],
    );
    assert.match(seen[0]?.[4] ?? '', /no field 'solution'.*set bnpo\.rules\.dataset/);
    assert.match(seen[1]?.[4] ?? '', /backreferences .* not supported/);
    assert.match(seen[2]?.[4] ?? '', /duplicate rule name 'format'/);
    assert.match(seen[3]?.[4] ?? '', /unknown rule 'acuracy'/);
  });

  it('checks sample fields against the dataset named by bnpo.rules.dataset', async () => {
    write('data/train.jsonl', '{"question": "1+1?", "solution": "2"}\n');
    const uri = write(
      'fields.rewards.json',
      '{ "rules": [ { "name": "acc", "kind": "answer", "extract": { "type": "boxed" } } ] }\n',
    );
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await vscode.workspace
      .getConfiguration('bnpo')
      .update('rules.dataset', 'data/train.jsonl', vscode.ConfigurationTarget.Workspace);
    const deadline = Date.now() + 15_000;
    let errors: vscode.Diagnostic[] = [];
    while (Date.now() < deadline) {
      errors = (await ours(uri, 1)).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      if (errors.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(errors.length, 1);
    assert.equal(
      errors[0]?.message,
      `the dataset has no field 'answer' (the default of "field"); its fields: question, solution`,
    );
    const [fieldError] = errors;
    assert.ok(fieldError);
    assert.equal(rangeText(doc, fieldError), '"answer"');
    // completion now offers the dataset's fields
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      uri,
      new vscode.Range(posAfter(doc, '"boxed" }'), posAfter(doc, '"boxed" }')),
      ', "field": ""',
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    const items = await complete(uri, posAfter(doc, '"field": "'));
    const fields = items.filter((i) => i.kind === vscode.CompletionItemKind.Field).map(label);
    assert.deepEqual(fields.sort(), ['question', 'solution']);
    await vscode.workspace
      .getConfiguration('bnpo')
      .update('rules.dataset', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('applies the shipped JSON Schema: schema errors, kind completion and property hovers', async () => {
    const text = [
      '{',
      '  "rules": [',
      '    { "name": "a", "kind": "answr" },',
      '    { "name": "b", "kind": "" },',
      '    { "name": "c", "kind": "answer", "extract": { "type": "boxed" }, "compare": "numeric", "tolerance": 0.1 }',
      '  ]',
      '}',
    ].join('\n');
    const uri = write('schema.rewards.json', text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    // VS Code's JSON support validates against media/schemas/rewards.schema.json (contributes.jsonValidation)
    const deadline = Date.now() + 20_000;
    let schemaErrors: vscode.Diagnostic[] = [];
    while (Date.now() < deadline) {
      schemaErrors = vscode.languages
        .getDiagnostics(uri)
        .filter((d) => d.source !== 'bnpo rules' && rangeText(doc, d).includes('answr'));
      if (schemaErrors.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(schemaErrors.length > 0, 'no schema diagnostic on the unknown kind "answr"');
    const kinds = (await complete(uri, posAfter(doc, '"kind": "', 1))).map(label);
    for (const kind of ['"answer"', '"format"', '"regex"', '"length"', '"all"', '"any"', '"not"']) {
      assert.ok(kinds.includes(kind), `kind ${kind} not offered; got ${kinds.join(', ')}`);
    }
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      posAfter(doc, '"tolera'),
    );
    const hoverText = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(hoverText, /the largest absolute difference that still counts as equal/);
  });

  it('completes extractors with docs, rule names in combinators, and rule snippets', async () => {
    const text = [
      '{',
      '  "rules": [',
      '    { "name": "format", "kind": "format", "tags": ["think", "answer"] },',
      '    { "name": "acc", "kind": "answer", "extract":  },',
      '    { "name": "both", "kind": "all", "rules": [""] },',
      '    ',
      '  ]',
      '}',
    ].join('\n');
    const uri = write('complete.rewards.json', text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);

    const extractors = (await complete(uri, posAfter(doc, '"extract": '))).filter(
      (i) => i.detail === 'extractor',
    );
    assert.deepEqual(extractors.map(label).sort(), ['boxed', 'lastNumber', 'regex', 'tag']);
    const boxed = extractors.find((i) => label(i) === 'boxed');
    assert.match((boxed?.documentation as vscode.MarkdownString).value, /\\boxed\{…\}/);

    const names = (await complete(uri, posAfter(doc, '"rules": ["')))
      .filter((i) => i.kind === vscode.CompletionItemKind.Reference)
      .map(label);
    assert.deepEqual(names.sort(), ['acc', 'format']);

    const snippets = (await complete(uri, new vscode.Position(5, 4)))
      .filter((i) => i.kind === vscode.CompletionItemKind.Snippet)
      .map(label);
    for (const expected of [
      'R1 format: <think>…</think><answer>…</answer>',
      'Boxed-answer accuracy',
      'Numeric answer with tolerance',
    ]) {
      assert.ok(snippets.includes(expected), `missing snippet ${expected}; got ${snippets.join(', ')}`);
    }
  });

  it('hovers a rule with what it does, and the latest run’s pass rate and Beta fit', async () => {
    const uri = write('good.rewards.json', fixture('good.rewards.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const hoverText = async (): Promise<string> => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        uri,
        posAfter(doc, '"name": "acc'),
      );
      return hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : c.value))
        .join('\n');
    };
    assert.match(
      await hoverText(),
      /\*\*accuracy\*\* — Rewards a completion when the content of the last <answer>…<\/answer> equals the sample's `answer` as a number/,
    );
    const run = path.join(workspaceDir(), '.bnpo', 'runs', 'run-7');
    fs.mkdirSync(run, { recursive: true });
    fs.writeFileSync(
      path.join(run, 'run.json'),
      JSON.stringify({ v: 1, id: 'run-7', status: 'running', rulesFile: 'good.rewards.json' }),
    );
    fs.writeFileSync(
      path.join(run, 'metrics.jsonl'),
      [
        { step: 1, rewards: { accuracy: 0.25 }, beta: {} },
        {
          step: 2,
          rewards: { accuracy: 0.625, format: 1 },
          beta: { accuracy: { a: 0, b: 1, alpha: 2.5, beta: 1.5, guard: null } },
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n{"step": 3, "rew',
    );
    const text = await hoverText();
    assert.match(
      text,
      /Run `run-7` \(running\), step 2: pass rate \*\*62\.5%\*\* Beta fit α = 2\.50, β = 1\.50/,
    );

    // a combinator's reference shows the rule it names
    const combo = write(
      'combo.rewards.json',
      '{ "rules": [ { "name": "fmt", "kind": "format", "tags": ["answer"], "reward": false }, { "name": "x", "kind": "not", "rule": "fmt" } ] }',
    );
    const comboDoc = await vscode.workspace.openTextDocument(combo);
    const refHovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      combo,
      posAfter(comboDoc, '"rule": "f'),
    );
    const refText = refHovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(
      refText,
      /\*\*fmt\*\* — Rewards a completion that has <answer>…<\/answer>, each exactly once\. A helper/,
    );
    const definitions = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      combo,
      posAfter(comboDoc, '"rule": "f'),
    );
    const target = definitions[0];
    assert.ok(target && 'uri' in target, 'no definition for the reference');
    assert.equal(comboDoc.getText(target.range), '"fmt"');
    assert.equal(comboDoc.offsetAt(target.range.start), comboDoc.getText().indexOf('"fmt"'));
  });

  it('shows the code lens and tests the rules on samples', async () => {
    const uri = write('good.rewards.json', fixture('good.rewards.json'));
    const samples = write('samples.jsonl', fixture('samples.jsonl'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    const lens = lenses.find((l) => l.command?.command === 'bnpo.testRules');
    assert.ok(lens, 'no Test rules lens');
    assert.equal(lens.range.start.line, posAfter(doc, '"rules"').line);
    const result = await vscode.commands.executeCommand<TestRulesResult | undefined>('bnpo.testRules', {
      rules: uri,
      samples,
      quiet: true,
    });
    assert.ok(result);
    assert.deepEqual(
      result.report.rules.map((r) => [r.name, r.passed, r.total]),
      [
        ['format', 3, 5],
        ['accuracy', 2, 5],
        ['concise', 5, 5],
      ],
    );
    assert.match(result.markdown, /\| `accuracy` \| 2\/5 \| 40\.0% \| 0 \|/);
    // without `quiet` the report opens beside the rules, as a Markdown preview
    await vscode.commands.executeCommand('bnpo.testRules', { rules: uri, samples });
    const deadline = Date.now() + 10_000;
    let labels: string[] = [];
    while (Date.now() < deadline) {
      labels = vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
      if (labels.some((l) => l.includes('good.rewards.json — rule test'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(
      labels.some((l) => l.includes('good.rewards.json — rule test')),
      `no report tab; tabs: ${labels.join(', ')}`,
    );
  });

  it('audits a hackable file from its lens, and warns on the rule that rewards tags-only output', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const text = fs.readFileSync(
      path.join(ext.extensionPath, 'test', 'fixtures', 'audit', 'hackable.rewards.json'),
      'utf8',
    );
    const uri = write('hack.rewards.json', text);
    await vscode.workspace.openTextDocument(uri);
    const warnings = (await ours(uri, 1)).filter((d) => d.code === 'rewards-degenerate');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(warnings[0]?.range.start.line, 4);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    assert.ok(
      lenses.some((l) => l.command?.command === 'bnpo.auditRules'),
      'no Audit lens',
    );
    const result = await vscode.commands.executeCommand<AuditResult | undefined>('bnpo.auditRules', {
      rules: uri,
      quiet: true,
    });
    assert.ok(result);
    assert.deepEqual(
      result.report.rules.map((r) => [r.name, r.rewards.map((f) => f.form)]),
      [
        ['format', ['tagsOnly', 'answerOutsideTags']],
        ['accuracy', ['answerOutsideTags', 'answerRepeated', 'junkAppended', 'boxedRepeated']],
      ],
    );
    assert.match(result.markdown, /^# Reward audit: hack\.rewards\.json/);
  });

  it('creates a commented starter file that the checks accept', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('bnpo.newRulesFile');
    assert.equal(uri.scheme, 'untitled');
    assert.ok(uri.path.endsWith('.rewards.json'));
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.uri.toString(), uri.toString());
    assert.match(doc.getText(), /^\/\/ Reward rules for BNPO Studio/);
    assert.equal(doc.languageId, 'jsonc');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'bnpo rules'),
      [],
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
