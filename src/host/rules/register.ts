// Reward-rule IntelliSense: one call from activate(). Its commands are in the command table (../commandTable.ts),
// which reaches the report provider through what this returns.
import * as vscode from 'vscode';
import { RulesCodeLensProvider } from './rulesCodeLens';
import { reportScheme, RulesReportProvider } from './rulesCommands';
import { RulesCompletionProvider } from './rulesCompletion';
import { RulesDefinitionProvider } from './rulesDefinition';
import { RulesDiagnostics } from './rulesDiagnostics';
import { rulesSelector } from './rulesDocument';
import { RulesHoverProvider } from './rulesHover';

export interface RulesRegistration {
  /** Holds the rule-test reports the `bnpo-rules-report:` documents show. */
  readonly reports: RulesReportProvider;
  /** Every disposable belongs to the extension's scope. */
  readonly disposables: vscode.Disposable[];
}

export function registerRules(): RulesRegistration {
  const reports = new RulesReportProvider();
  return {
    reports,
    disposables: [
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
    ],
  };
}
