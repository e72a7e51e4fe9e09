// What the welcome page offers: the extension's palette commands (so new features appear there without editing
// the page) and its settings. Pure, so it is tested without an editor.

export interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

export interface WelcomeActionSpec {
  id: string;
  title: string;
  /** The VS Code command the host runs for this action, with its arguments. */
  command: string;
  args: unknown[];
}

export const OPEN_SETTINGS_ACTION = 'openSettings';

/**
 * Actions for the page: every contributed `BNPO` command except the one that opens this page and those hidden
 * from the palette, in manifest order, then "Settings" filtered to this extension's settings.
 */
export function welcomeActions(
  commands: readonly ContributedCommand[],
  hiddenFromPalette: ReadonlySet<string>,
  ownCommand: string,
  extensionId: string,
): WelcomeActionSpec[] {
  const actions: WelcomeActionSpec[] = commands
    .filter((c) => c.category === 'BNPO' && c.command !== ownCommand && !hiddenFromPalette.has(c.command))
    .map((c) => ({ id: c.command, title: c.title, command: c.command, args: [] }));
  actions.push({
    id: OPEN_SETTINGS_ACTION,
    title: 'Settings',
    command: 'workbench.action.openSettings',
    args: [`@ext:${extensionId}`],
  });
  return actions;
}

/** Commands whose `commandPalette` menu entry says `"when": "false"`: internal, not for the page either. */
export function hiddenCommands(menus: unknown): Set<string> {
  const hidden = new Set<string>();
  const palette = (menus as { commandPalette?: unknown } | undefined)?.commandPalette;
  if (!Array.isArray(palette)) return hidden;
  for (const entry of palette as { command?: unknown; when?: unknown }[]) {
    if (typeof entry.command === 'string' && entry.when === 'false') hidden.add(entry.command);
  }
  return hidden;
}

/** The parts of the extension's package.json the page is built from. */
export interface WelcomeManifest {
  version?: string;
  contributes?: { commands?: ContributedCommand[]; menus?: unknown };
}

/** The actions the page offers for this manifest, and the version it shows. */
export function manifestActions(
  manifest: WelcomeManifest,
  ownCommand: string,
  extensionId: string,
): { version: string; actions: WelcomeActionSpec[] } {
  const { commands = [], menus } = manifest.contributes ?? {};
  return {
    version: manifest.version ?? '',
    actions: welcomeActions(commands, hiddenCommands(menus), ownCommand, extensionId),
  };
}
