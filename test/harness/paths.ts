// Where the harness finds the repository, the editor it drives and the folder that collects artifacts.
// Compiled to out/test/harness/, so the repository root is three levels up from here.
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const codeServerEntry = path.join(
  repoRoot,
  'test',
  'harness',
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
export const setupScript = path.join(repoRoot, 'test', 'harness', 'setup.sh');
/** Debian's chromium; playwright-core brings no browser of its own. */
export const chromiumPath = process.env.BNPO_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsRoot = path.join(repoRoot, 'test-artifacts');
export const packagedVsix = path.join(repoRoot, 'dist', 'bnpo-studio.vsix');
