// The host follows runs with the run-directory library's follower (src/runDir/follower.ts); this module keeps the
// names the host's views and panels import. Other tools' logs are followed by ForeignRun (./foreignRun.ts).
import type { RunFollower } from '../../runDir/follower';
import type { ForeignRun } from './foreignRun';

export { RunFollower, type RunChange } from '../../runDir/follower';
/** A run the host follows: one of ours (a run folder), or another tool's log. */
export type FollowedRun = RunFollower | ForeignRun;
export { listRunDirs } from '../../runDir/layout';
export { processAlive } from '../../runDir/lock';
