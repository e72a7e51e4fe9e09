// Stands in for the VS Code executable that @vscode/test-electron (or @vscode/test-cli) would start.
// The desktop build cannot be downloaded here, so this takes the same argv, runs the tests in code-server's
// real extension host with chromium as the window, and exits with the tests' result: 0 passed, 1 failed.
// The workbench reports that result by calling window.codeAutomationExit(code); the extension host's console
// arrives through window.codeAutomationLog(type, args). Both are exposed before the page loads.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { artifactDir, saveEditorLogs, saveScreenshot } from './artifacts';
import { launchBrowser } from './browser';
import type { Browser } from './browser';
import { createProfile, remoteUri, startCodeServer, workbenchUrl } from './codeServer';
import type { CodeServer } from './codeServer';
import { RUN_TAG, newRunId, reapLeftovers } from './processes';

export interface LaunchArgs {
  extensionDevelopmentPath: string[];
  extensionTestsPath: string;
  userDataDir?: string;
  extensionsDir?: string;
  folder?: string;
}

/** The flags test-electron passes that take a value; the rest (--no-sandbox, --disable-updates …) mean nothing here. */
const VALUE_FLAGS = [
  'extensionDevelopmentPath',
  'extensionTestsPath',
  'user-data-dir',
  'extensions-dir',
] as const;

export function parseLaunchArgs(argv: string[]): LaunchArgs {
  const values: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const flag = VALUE_FLAGS.find((name) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    if (flag) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || value === '') throw new Error(`${arg}: missing value`);
      (values[flag] ??= []).push(path.resolve(value));
    } else if (!arg.startsWith('-')) {
      positional.push(path.resolve(arg));
    }
  }
  const extensionTestsPath = values.extensionTestsPath?.[0];
  if (!extensionTestsPath) throw new Error('--extensionTestsPath is required');
  if (!values.extensionDevelopmentPath?.length) throw new Error('--extensionDevelopmentPath is required');
  return {
    extensionDevelopmentPath: values.extensionDevelopmentPath,
    extensionTestsPath,
    userDataDir: values['user-data-dir']?.[0],
    extensionsDir: values['extensions-dir']?.[0],
    folder: positional[0],
  };
}

function timeoutMs(): number {
  const fromEnv = Number(process.env.BNPO_TEST_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 120_000;
}

export async function launch(args: LaunchArgs): Promise<number> {
  const runId = newRunId();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-vscode-'));
  const profile = createProfile(root, runId, {
    userDataDir: args.userDataDir,
    extensionsDir: args.extensionsDir,
  });
  const folder = args.folder ?? fs.mkdtempSync(path.join(root, 'workspace-'));
  const started = Date.now();
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let code: number;
  try {
    server = await startCodeServer(profile);
    browser = await launchBrowser(path.join(root, 'browser'), runId);
    const { page } = browser;
    const limit = timeoutMs();
    let finish: (outcome: number | 'timeout' | 'crash') => void = () => undefined;
    const result = new Promise<number | 'timeout' | 'crash'>((resolve) => (finish = resolve));
    const timer = setTimeout(() => finish('timeout'), limit);
    page.on('crash', () => finish('crash'));
    // Both hooks must exist before the workbench loads: it looks for them when the test module settles.
    await page.exposeFunction('codeAutomationExit', (exitCode: number) => finish(exitCode));
    await page.exposeFunction('codeAutomationLog', (type: string, logArgs: unknown[]) => {
      const line = format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
      (type === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
    });
    const live = server;
    const payload: [string, string][] = [
      ...args.extensionDevelopmentPath.map((p): [string, string] => [
        'extensionDevelopmentPath',
        remoteUri(live, p),
      ]),
      ['extensionTestsPath', remoteUri(live, args.extensionTestsPath)],
    ];
    await page.goto(workbenchUrl(server, folder, payload));
    const outcome = await result;
    clearTimeout(timer);
    code = outcome === 0 ? 0 : 1;
    if (code !== 0) {
      const reason = typeof outcome === 'number' ? 'failed' : outcome;
      const dir = artifactDir(
        'integration',
        `${reason}-${new Date(started).toISOString().replace(/[:.]/g, '-')}`,
      );
      const shot = await saveScreenshot(page, dir, reason);
      const logs = saveEditorLogs(profile.userDataDir, dir);
      if (outcome === 'timeout') {
        console.error(`[launcher] the tests did not finish within ${limit} ms (BNPO_TEST_TIMEOUT_MS)`);
      } else if (outcome === 'crash') {
        console.error('[launcher] the workbench page crashed');
      }
      console.error(`[launcher] artifacts: ${shot ?? '(no screenshot)'}, ${logs ?? '(no editor logs)'}`);
    }
  } catch (err) {
    console.error(`[launcher] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  } finally {
    await browser?.close();
    await server?.stop();
    const left = await reapLeftovers(RUN_TAG, runId);
    if (left.length > 0) {
      console.error(`[launcher] processes left running after teardown (killed now):`);
      for (const p of left) console.error(`  ${p.pid} ${p.command}`);
      code = 1;
    }
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
  console.log(`[launcher] exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

if (require.main === module) {
  let args: LaunchArgs;
  try {
    args = parseLaunchArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`[launcher] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  launch(args).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
