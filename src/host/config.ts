// The extension's settings, typed and resolved in one place (package.json `contributes.configuration` declares
// them; a unit test keeps the defaults here and there equal). Paths are resolved one way: absolute, or relative to
// the workspace folder of the resource they are read for. The extension never writes settings. No VS Code here:
// editorConfig.ts reads the editor's values through `configFrom`.
import * as path from 'node:path';
import type { AuditThresholds } from '../protocol/audit';
import { DEFAULT_AUDIT_THRESHOLDS } from '../protocol/audit';

/** Every setting's default, as package.json declares it (keys under `bnpo.`). */
export const CONFIG_DEFAULTS = {
  runsFolder: '.bnpo/runs',
  'rules.dataset': '',
  'rules.codeLens': true,
  'trl.python': 'python3',
  'audit.thresholds': DEFAULT_AUDIT_THRESHOLDS,
} as const;

export const CONFIG_SECTION = 'bnpo';
export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

export interface Config {
  /** Absolute runs folder; new runs are written there, and it is the first root the Runs view follows. */
  readonly runsFolder: string;
  /** Absolute dataset file whose fields reward rules may name; undefined: none set, or relative with no folder. */
  readonly rulesDataset: string | undefined;
  /** `bnpo.rules.dataset` as written (trimmed), for messages. */
  readonly rulesDatasetSetting: string;
  readonly rulesCodeLens: boolean;
  /** The Python *Launch on TRL…* runs: a name looked up on PATH, or a path (relative ones against the folder). */
  readonly trlPython: string;
  /** Every audit check's threshold: the setting's finite numbers over the defaults. */
  readonly auditThresholds: AuditThresholds;
}

/** What a settings section answers (vscode.WorkspaceConfiguration in the editor). */
export interface SettingsReader {
  get<T>(key: string, defaultValue: T): T;
}

/** A setting's path: absolute, or joined to `folder`; undefined when it is relative and no folder is open. */
export function resolveSettingPath(setting: string, folder: string | undefined): string | undefined {
  if (path.isAbsolute(setting)) return setting;
  return folder === undefined ? undefined : path.join(folder, setting);
}

/** A program setting: blank means the default, a bare name stays one (PATH finds it), a path is resolved. */
function programSetting(setting: string, folder: string | undefined): string {
  const value = setting.trim() === '' ? CONFIG_DEFAULTS['trl.python'] : setting.trim();
  return /[\\/]/.test(value) ? (resolveSettingPath(value, folder) ?? value) : value;
}

/** The runs folder setting resolved against the workspace folder (blank means the default). */
export function resolveRunsFolder(setting: string, workspaceFolder: string | undefined): string {
  const value = setting.trim() === '' ? CONFIG_DEFAULTS.runsFolder : setting.trim();
  return resolveSettingPath(value, workspaceFolder ?? process.cwd()) ?? value;
}

/** The typed settings, from the raw section and the workspace folder they apply to. */
export function configFrom(settings: SettingsReader, folder: string | undefined): Config {
  const dataset = settings.get<string>('rules.dataset', CONFIG_DEFAULTS['rules.dataset']).trim();
  return {
    runsFolder: resolveRunsFolder(settings.get<string>('runsFolder', CONFIG_DEFAULTS.runsFolder), folder),
    rulesDataset: dataset === '' ? undefined : resolveSettingPath(dataset, folder),
    rulesDatasetSetting: dataset,
    rulesCodeLens: settings.get<boolean>('rules.codeLens', CONFIG_DEFAULTS['rules.codeLens']),
    trlPython: programSetting(settings.get<string>('trl.python', CONFIG_DEFAULTS['trl.python']), folder),
    auditThresholds: auditThresholdsFrom(settings.get<unknown>('audit.thresholds', DEFAULT_AUDIT_THRESHOLDS)),
  };
}

function auditThresholdsFrom(value: unknown): AuditThresholds {
  const out = { ...DEFAULT_AUDIT_THRESHOLDS };
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(out) as (keyof AuditThresholds)[]) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  return out;
}
