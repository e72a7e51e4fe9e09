// Loaded by the extension host as --extensionTestsPath: runs every out/test/integration/**/*.test.js with mocha
// inside the real VS Code, with the `vscode` API available to the suites.
import { runMocha } from '../harness/mocha';
import { reportTierResult } from '../harness/tierResult';

export async function run(): Promise<void> {
  // Plain output: it reaches CI logs through the launcher, where colour codes are noise.
  const result = await runMocha(__dirname, { color: false, timeout: 30_000 });
  reportTierResult(result);
  if (result.failed > 0) throw new Error(`${result.failed} integration test(s) failed`);
}
