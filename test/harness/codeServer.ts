// Starts code-server (a real VS Code 1.100.3 workbench and Node extension host) the way the tests need it:
// fresh profile, no auth, loopback only, its own process group so the whole server can be ended at once.
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { codeServerEntry } from './paths';
import { RUN_TAG, stopGroup } from './processes';

/** A fresh profile keeps runs independent; these settings keep the workbench quiet and offline. */
const TEST_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'workbench.tips.enabled': false,
};

export interface Profile {
  /** Folder holding everything of one run; removed by `removeProfile`. */
  root: string;
  userDataDir: string;
  extensionsDir: string;
  /** XDG_* point here: code-server writes into the home folder otherwise. */
  xdgDir: string;
  configFile: string;
  /** Unique per run; tags every process the run starts (see processes.ts). */
  runId: string;
}

export function createProfile(
  root: string,
  runId: string,
  dirs: { userDataDir?: string; extensionsDir?: string } = {},
): Profile {
  const profile: Profile = {
    root,
    userDataDir: dirs.userDataDir ?? path.join(root, 'user-data'),
    extensionsDir: dirs.extensionsDir ?? path.join(root, 'extensions'),
    xdgDir: path.join(root, 'xdg'),
    configFile: path.join(root, 'code-server.yaml'),
    runId,
  };
  for (const dir of [profile.userDataDir, profile.extensionsDir, profile.xdgDir]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  writeUserSettings(profile, {});
  // Port 0: the kernel picks a free one and the server's log says which (no race between two runs).
  fs.writeFileSync(profile.configFile, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  return profile;
}

/** Writes User/settings.json: the test settings plus `extra` (a running workbench picks changes up). */
export function writeUserSettings(profile: Profile, extra: Record<string, unknown>): void {
  const file = path.join(profile.userDataDir, 'User', 'settings.json');
  fs.writeFileSync(file, JSON.stringify({ ...TEST_SETTINGS, ...extra }, null, 2));
}

function serverEnv(profile: Profile, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    // No marketplace: the machines are offline and the gallery's failed lookups only add noise to the logs.
    EXTENSIONS_GALLERY: '{}',
    XDG_DATA_HOME: profile.xdgDir,
    XDG_CONFIG_HOME: profile.xdgDir,
    XDG_CACHE_HOME: profile.xdgDir,
    [RUN_TAG]: profile.runId,
  };
}

function baseArgs(profile: Profile): string[] {
  return [
    codeServerEntry,
    '--config',
    profile.configFile,
    '--user-data-dir',
    profile.userDataDir,
    '--extensions-dir',
    profile.extensionsDir,
  ];
}

function requireServer(): void {
  if (!fs.existsSync(codeServerEntry)) {
    throw new Error(`code-server is not installed at ${codeServerEntry}: run test/harness/setup.sh first`);
  }
}

/** Installs a packaged extension into the profile's extensions folder (what a user's "Install from VSIX" does). */
export async function installVsix(profile: Profile, vsix: string): Promise<void> {
  requireServer();
  if (!fs.existsSync(vsix))
    throw new Error(`no packaged extension at ${vsix}: run \`npm run package\` first`);
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [...baseArgs(profile), '--install-extension', vsix],
    { env: serverEnv(profile), timeout: 60_000 },
  );
  if (!/successfully installed/i.test(stdout + stderr)) {
    throw new Error(`installing ${vsix} did not report success:\n${stdout}${stderr}`);
  }
}

export interface CodeServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** Everything the server printed so far (its own log; extension host logs live under user-data/logs). */
  output(): string;
  /** Ends the server's whole process group (server, extension hosts, watchers, terminals). */
  stop(): Promise<void>;
}

export async function startCodeServer(
  profile: Profile,
  options: { env?: NodeJS.ProcessEnv; startTimeoutMs?: number } = {},
): Promise<CodeServer> {
  requireServer();
  const child = spawn(
    process.execPath,
    [
      ...baseArgs(profile),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { env: serverEnv(profile, options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('code-server did not start');
  let log = '';
  const stop = (): Promise<void> => stopGroup(pgid);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`code-server did not listen within ${options.startTimeoutMs ?? 30_000} ms:\n${log}`),
        ),
      options.startTimeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited before listening (${code ?? signal}):\n${log}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(origin, options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { origin, port, output: () => log, stop };
}

async function waitForHealth(origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) return;
    } catch {
      // Not answering yet.
    }
    if (Date.now() > deadline) throw new Error(`code-server at ${origin} did not answer /healthz`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The workbench URL; `payload` carries what the desktop CLI would take as --extensionDevelopmentPath etc. */
export function workbenchUrl(server: CodeServer, folder: string, payload: [string, string][] = []): string {
  const query = new URLSearchParams({ folder });
  if (payload.length > 0) query.set('payload', JSON.stringify(payload));
  return `${server.origin}/?${query.toString()}`;
}

/** A local path as the remote (workspace) host sees it; file:// URIs make the test run hang. */
export function remoteUri(server: CodeServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}
