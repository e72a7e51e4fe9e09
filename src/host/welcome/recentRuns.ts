// The runs the welcome page lists: the run folders under the runs folder setting, read through the run-directory
// library. The status is run.json's: a trainer that died without a word still reads "running" here until the
// Runs view's follower notices; Stop then answers that it is not running.
import * as path from 'node:path';
import { listRunDirs } from '../../runDir/layout';
import { readRunInfoResult } from '../../runDir/runInfo';
import type { RecentRunFacts } from './actions';

export function readRecentRuns(runsFolder: string): RecentRunFacts[] {
  const runs: RecentRunFacts[] = [];
  for (const dir of listRunDirs(runsFolder)) {
    const read = readRunInfoResult(dir);
    if (!('info' in read)) continue;
    const { info } = read;
    runs.push({
      id: path.basename(dir),
      label: info.config.name ?? path.basename(dir),
      status: info.status,
      step: info.step,
      totalSteps: info.totalSteps,
      createdAt: info.createdAt,
    });
  }
  return runs;
}
