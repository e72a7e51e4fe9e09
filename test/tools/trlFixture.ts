// The studio's TRL fixture (test/fixtures/trl-run): a run folder the TRL callback wrote during the real TRL
// end-to-end test (engines/trl/tests/test_trl_grpo.py, regenerated with BNPO_TRL_FIXTURE_OUT=test/fixtures/trl-run).
// The editor tests place it in a workspace under a stable id; nothing else is changed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../harness/paths';

export const TRL_FIXTURE_DIR = path.join(repoRoot, 'test', 'fixtures', 'trl-run');
export const TRL_RUN_ID = 'trl-grpo-bnpo';

/** The fixture's files keyed by their path in a workspace (`.bnpo/runs/<id>/<file>`), run.json carrying that id. */
export function trlRunFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(TRL_FIXTURE_DIR)) {
    let text = fs.readFileSync(path.join(TRL_FIXTURE_DIR, name), 'utf8');
    if (name === 'run.json') {
      const info = JSON.parse(text) as Record<string, unknown>;
      info.id = TRL_RUN_ID;
      text = `${JSON.stringify(info, null, 2)}\n`;
    }
    files[`.bnpo/runs/${TRL_RUN_ID}/${name}`] = text;
  }
  return files;
}
