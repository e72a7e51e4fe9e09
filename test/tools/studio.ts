// `npm run studio`: the studio in a real VS Code workbench for anyone without desktop VS Code, or on a remote
// machine: code-server on 127.0.0.1 with the freshly built and packaged extension and a demo workspace (a quick
// run configuration and the built-in task's reward rules). Prints the URL; Ctrl+C ends the server and everything
// it started (training runs launched from the workbench keep their folders in the workspace).
//
//   npm run studio                         any free port, workspace in the system temp folder
//   npm run studio -- --port 8123 --workspace ~/bnpo-demo
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../harness/paths';
import { startStudioServer } from './studioServer';

const DEMO_CONFIG = {
  name: 'addition-quick',
  task: 'addition',
  digits: 2,
  steps: 60,
  groupSize: 8,
  promptsPerStep: 16,
  model: { dModel: 32, layers: 2, heads: 2, mlpRatio: 2 },
  sft: { maxSteps: 300, batchSize: 32, evalEvery: 20, targetAccuracy: 0.3 },
  eval: { every: 5, size: 100 },
  sampleEvery: 2,
  checkpointEvery: 10,
};

function demoWorkspace(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string): void => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) fs.writeFileSync(file, text);
  };
  write(
    'README.md',
    '# BNPO Studio demo\n\nRun **BNPO: Launch Training Run** from the command palette (F1) and pick ' +
      '`addition-quick.bnporun.json`, or a built-in task. Edit `addition.rewards.json` to change the rewards.\n',
  );
  write(
    'addition-quick.bnporun.json',
    `${JSON.stringify({ ...DEMO_CONFIG, rules: 'addition.rewards.json' }, null, 2)}\n`,
  );
  write(
    'addition.rewards.json',
    fs.readFileSync(path.join(repoRoot, 'media', 'tasks', 'addition.rewards.json'), 'utf8'),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, workspace: { type: 'string' } },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--port must be a port number, got '${values.port}'\n`);
    process.exit(2);
  }
  const workspace = path.resolve(values.workspace ?? path.join(os.tmpdir(), 'bnpo-studio-demo'));
  demoWorkspace(workspace);
  const studio = await startStudioServer(workspace, { port });
  process.stdout.write(
    `\nBNPO Studio is running in VS Code ${'(code-server)'} on this machine:\n\n  ${studio.url}\n\n` +
      `workspace: ${workspace}\n` +
      `From another machine: ssh -L ${studio.server.port}:127.0.0.1:${studio.server.port} <this host>, then open the URL there.\n` +
      'Ctrl+C stops it.\n',
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    studio.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
