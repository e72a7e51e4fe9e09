// Where the editor's settings are read (typed by config.ts) and their changes heard.
import * as vscode from 'vscode';
import type { Config, ConfigKey } from './config';
import { CONFIG_SECTION, configFrom } from './config';

/** The workspace folder a resource belongs to, else the first one. */
export function workspaceFolderFor(uri: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

/** The settings that apply to `scope` (a document, a config file), or to the workspace. */
export function readConfig(scope?: vscode.Uri): Config {
  return configFrom(
    vscode.workspace.getConfiguration(CONFIG_SECTION, scope),
    workspaceFolderFor(scope)?.uri.fsPath,
  );
}

/** Calls `listener` when a setting under one of `prefixes` (of `bnpo.`) changes. */
export function onConfigChange(
  prefixes: readonly (ConfigKey | 'rules')[],
  listener: () => void,
): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (prefixes.some((key) => e.affectsConfiguration(`${CONFIG_SECTION}.${key}`))) listener();
  });
}
