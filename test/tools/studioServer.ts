// A code-server with the packaged extension on a workspace, for `npm run studio` and the studio benchmark:
// the harness's fresh profile and loopback-only server, plus the process bookkeeping that ends it cleanly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProfile, installVsix, startCodeServer, workbenchUrl } from '../harness/codeServer';
import type { CodeServer, Profile } from '../harness/codeServer';
import { packagedVsix } from '../harness/paths';
import { RUN_TAG, newRunId, reapLeftovers } from '../harness/processes';

export interface StudioServer {
  readonly server: CodeServer;
  readonly profile: Profile;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the workbench on `workspace` (port 0: any free port). */
export async function startStudioServer(
  workspace: string,
  options: { port?: number; settings?: Record<string, unknown> } = {},
): Promise<StudioServer> {
  const runId = newRunId();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-studio-server-'));
  const profile = createProfile(root, runId);
  if (options.port !== undefined) {
    fs.writeFileSync(profile.configFile, `bind-addr: 127.0.0.1:${options.port}\nauth: none\ncert: false\n`);
  }
  if (options.settings) {
    const file = path.join(profile.userDataDir, 'User', 'settings.json');
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...current, ...options.settings }, null, 2));
  }
  await installVsix(profile, packagedVsix);
  const server = await startCodeServer(profile);
  return {
    server,
    profile,
    url: workbenchUrl(server, workspace),
    stop: async () => {
      await server.stop();
      await reapLeftovers(RUN_TAG, runId);
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
