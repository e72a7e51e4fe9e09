// The one registration loop: every command of the command table is registered here, refused here in an untrusted
// workspace when its entry says so, and its errors are logged and shown here (never thrown at the caller).
import * as vscode from 'vscode';
import type { CommandId } from './commandIds';
import type { Registrar } from './lazy';
import type { TrustedAction } from './trust';
import { untrustedRefusal } from './trust';

export interface CommandSpec {
  readonly id: CommandId;
  /** Refused in an untrusted workspace, saying why this action needs trust. */
  readonly trust?: TrustedAction;
  readonly run: (...args: unknown[]) => unknown;
}

/** Says why an action waits for trust, when it does; true when it may go ahead. */
export function allowedByTrust(action: TrustedAction): boolean {
  const refusal = untrustedRefusal(vscode.workspace.isTrusted, action);
  if (refusal !== undefined) void vscode.window.showWarningMessage(refusal);
  return refusal === undefined;
}

export function registerCommands(
  table: readonly CommandSpec[],
  log: vscode.LogOutputChannel,
  registrar: Pick<Registrar, 'registerCommand'>,
): vscode.Disposable[] {
  return table.map((spec) =>
    registrar.registerCommand(spec.id, async (...args: unknown[]) => {
      if (spec.trust !== undefined && !allowedByTrust(spec.trust)) return undefined;
      try {
        return await spec.run(...args);
      } catch (err) {
        log.error(`${spec.id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void vscode.window.showErrorMessage(`BNPO: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }),
  );
}
