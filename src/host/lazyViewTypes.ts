// The panels activation restores, read from the manifest (no vscode import: unit tests load it).
const PANEL_EVENT = 'onWebviewPanel:';

/** The view types of the manifest's `onWebviewPanel:` activation events. */
export function panelViewTypes(packageJson: unknown): string[] {
  const events = (packageJson as { activationEvents?: unknown }).activationEvents;
  if (!Array.isArray(events)) return [];
  return events
    .filter((e): e is string => typeof e === 'string' && e.startsWith(PANEL_EVENT))
    .map((e) => e.slice(PANEL_EVENT.length));
}
