// `npm run test:e2e`: runs every out/test/e2e/**/*.test.js with mocha in this process; each suite starts its
// own workbench (see workbench.ts). Expects dist/bnpo-studio.vsix (`npm run package`) and the setup script's
// code-server and chromium.
import { runMocha } from '../harness/mocha';
import { reportTierResult } from '../harness/tierResult';

runMocha(__dirname, { timeout: 60_000, color: process.stdout.isTTY }).then(
  (result) => {
    reportTierResult(result);
    process.exit(result.failed > 0 ? 1 : 0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
