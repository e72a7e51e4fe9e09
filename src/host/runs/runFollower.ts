// The host follows runs with the run-directory library's follower (src/runDir/follower.ts); this module keeps the
// names the host's views and panels import.
export { RunFollower, type RunChange } from '../../runDir/follower';
export { listRunDirs } from '../../runDir/layout';
export { processAlive } from '../../runDir/lock';
