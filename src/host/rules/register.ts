// Reward-rule IntelliSense and commands: one call from activate().
import * as vscode from 'vscode';
import { RulesCodeLensProvider } from './rulesCodeLens';
import type { TestRulesArgs } from './rulesCommands';
import { newRulesFileCommand, reportScheme, RulesReportProvider, testRulesCommand } from './rulesCommands';
import { RulesCompletionProvider } from './rulesCompletion';
import { RulesDefinitionProvider } from './rulesDefinition';
import { RulesDiagnostics } from './rulesDiagnostics';
import { rulesSelector } from './rulesDocument';
import { RulesHoverProvider } from './rulesHover';

/** Every disposable belongs to the extension's scope. */
export function registerRules(): vscode.Disposable[] {
  const reports = new RulesReportProvider();
  return [
    new RulesDiagnostics(),
    reports,
    vscode.workspace.registerTextDocumentContentProvider(reportScheme, reports),
    vscode.languages.registerCompletionItemProvider(
      rulesSelector,
      new RulesCompletionProvider(),
      '"',
      ':',
      '[',
    ),
    vscode.languages.registerHoverProvider(rulesSelector, new RulesHoverProvider()),
    vscode.languages.registerDefinitionProvider(rulesSelector, new RulesDefinitionProvider()),
    vscode.languages.registerCodeLensProvider(rulesSelector, new RulesCodeLensProvider()),
    vscode.commands.registerCommand('bnpo.newRulesFile', () => newRulesFileCommand()),
    vscode.commands.registerCommand('bnpo.testRules', (arg?: vscode.Uri | TestRulesArgs) =>
      testRulesCommand(reports, arg),
    ),
  ];
}
