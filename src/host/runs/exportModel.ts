// Export Model…: a run's checkpoint of a Hugging Face model as a PEFT adapter or a merged model folder, by
// `bnpo export` started through the supervisor (as a launch is), reported in one notification.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listCheckpoints } from '../../runDir/checkpoints';
import type { Supervisor } from '../process/supervisor';
import { TRAINER_ENV } from './launchPlan';
import type { RunFollower } from './runFollower';

export type ExportFormat = 'peft' | 'merged';

export interface ExportChoice {
  readonly format: ExportFormat;
  /** undefined: the newest valid checkpoint. */
  readonly step: number | undefined;
  readonly out: string;
}

export function isExportChoice(value: unknown): value is ExportChoice {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v['format'] === 'peft' || v['format'] === 'merged') &&
    (v['step'] === undefined || Number.isInteger(v['step'])) &&
    typeof v['out'] === 'string' &&
    v['out'] !== ''
  );
}

/** `node dist/cli.js export RUN [--step N] --format F --out DIR`. */
export function exportArgs(cli: string, runDir: string, choice: ExportChoice): string[] {
  const step = choice.step === undefined ? [] : ['--step', `${choice.step}`];
  return [cli, 'export', runDir, ...step, '--format', choice.format, '--out', choice.out];
}

/** The run's model cannot be exported when it is the built-in one: says why, or undefined when it can. */
export function exportRefusal(run: RunFollower): string | undefined {
  const model = run.info?.modelInfo;
  if (!run.info) return `${run.label} has no run.json yet`;
  if (!model) return `${run.label} records no model; only runs on a Hugging Face model folder export`;
  return undefined;
}

async function askChoice(run: RunFollower, lora: boolean): Promise<ExportChoice | undefined> {
  type FormatItem = vscode.QuickPickItem & { format: ExportFormat };
  const formats: FormatItem[] = [
    {
      label: 'merged',
      description: 'a model folder transformers and vLLM load (adapters folded in)',
      format: 'merged',
    },
  ];
  if (lora)
    formats.unshift({ label: 'peft', description: 'a PEFT LoRA adapter for the base model', format: 'peft' });
  const format = await vscode.window.showQuickPick(formats, {
    title: `BNPO: Export ${run.label} (1/3): format`,
  });
  if (!format) return undefined;
  type StepItem = vscode.QuickPickItem & { step: number | undefined };
  const steps: StepItem[] = [
    { label: 'Newest checkpoint', description: 'the newest valid one', step: undefined },
  ];
  for (const c of listCheckpoints(run.dir)) steps.push({ label: `step ${c.step}`, step: c.step });
  const step = await vscode.window.showQuickPick(steps, {
    title: `BNPO: Export ${run.label} (2/3): checkpoint`,
  });
  if (!step) return undefined;
  const name = `${run.id}-${format.format}${step.step === undefined ? '' : `-step${step.step}`}`;
  const target = await vscode.window.showSaveDialog({
    title: `BNPO: Export ${run.label} (3/3): folder to create (absent or empty)`,
    defaultUri: vscode.Uri.file(path.join(path.dirname(path.dirname(run.dir)), 'exports', name)),
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  return { format: format.format, step: step.step, out: target.fsPath };
}

/** Asks format, checkpoint and folder, runs the export; resolves with the folder written (undefined: cancelled). */
export async function exportModel(
  run: RunFollower,
  supervisor: Supervisor,
  cli: string,
  choice?: ExportChoice,
): Promise<string | undefined> {
  const refusal = exportRefusal(run);
  if (refusal !== undefined) throw new Error(refusal);
  const picked = choice ?? (await askChoice(run, run.info?.modelInfo?.lora != null));
  if (!picked) return undefined;
  const child = supervisor.start({
    label: `export ${run.id}`,
    argv: exportArgs(cli, run.dir, picked),
    runtime: 'node',
    env: TRAINER_ENV,
    cwd: path.dirname(run.dir),
    stopTimeoutMs: 5_000,
  });
  const exit = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `BNPO: exporting ${run.label}…` },
    () => child.exit,
  );
  if (exit.code !== 0 || exit.startError !== undefined) {
    const why = exit.startError ?? exit.lastLines.slice(-3).join(' ');
    void vscode.window.showErrorMessage(
      `BNPO: exporting ${run.label} failed: ${why || `exit code ${exit.code}`}`,
    );
    return undefined;
  }
  void vscode.window.showInformationMessage(
    `BNPO: exported ${run.label} (${picked.format}) to ${picked.out}`,
  );
  return picked.out;
}
