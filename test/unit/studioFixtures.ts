// Valid run-directory records for the studio's unit tests (validated by the same schemas the host uses).
import type { AuditRecord } from '../../src/protocol/audit';
import { AuditRecordSchema } from '../../src/protocol/audit';
import type { MetricsRecord, RunInfo, SamplesRecord } from '../../src/protocol/runDir';
import { MetricsRecordSchema, RunInfoSchema, SamplesRecordSchema } from '../../src/protocol/runDir';
import { RunConfigSchema } from '../../src/protocol/runConfig';

export function runInfo(over: Partial<RunInfo> = {}): RunInfo {
  return RunInfoSchema.parse({
    v: 1,
    id: 'run',
    status: 'completed',
    phase: 'done',
    config: RunConfigSchema.parse({ task: 'addition', groupSize: 4 }),
    configFile: null,
    rules: ['correct', 'format'],
    rulesFile: 'builtin',
    backend: null,
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: null,
    pid: null,
    step: 0,
    totalSteps: 10,
    baseAccuracy: null,
    finalAccuracy: null,
    error: null,
    ...over,
  });
}

export function metricsRecord(step: number, over: Partial<MetricsRecord> = {}): MetricsRecord {
  return MetricsRecordSchema.parse({
    v: 1,
    step,
    time: new Date(Date.UTC(2026, 10, 26, 10, 0, step)).toISOString(),
    wall: step * 1.5,
    estimator: 'bnpo',
    rewards: { correct: step / 10, format: 0.5 },
    reward: step / 20,
    accuracy: step / 10,
    loss: -0.01 * step,
    clipFraction: 0.1,
    gradNorm: 0.5,
    entropy: 2,
    completionLength: 4,
    zeroVarianceShare: 0.25,
    beta: {
      correct: { a: 0.5, b: 1.5, alpha: 1.1666666666666667, beta: 1.5, guard: null },
      format: { a: null, b: null, alpha: 1, beta: 1, guard: 'zeroVariance' },
    },
    tokensPerSecond: 100,
    skipped: false,
    skippedSteps: 0,
    lr: 0.001,
    timings: { sampling: 1, scoring: 1, advantage: 1, update: 1 },
    ...over,
  });
}

export function samplesRecord(step: number): SamplesRecord {
  return SamplesRecordSchema.parse({
    v: 1,
    step,
    promptId: 'p1',
    prompt: '2+3=',
    sample: { answer: '5' },
    completions: [
      {
        text: '5',
        tokens: 1,
        rewards: { correct: 1 },
        reasons: { correct: 'equals 5' },
        advantage: 0.5,
        correct: true,
      },
      {
        text: '6',
        tokens: 1,
        rewards: { correct: 0 },
        reasons: { correct: 'expected 5' },
        advantage: -0.5,
        correct: false,
      },
    ],
  });
}

/** An audit.jsonl record: `duplicateShare` of 8 completions flagged, mean length 5 × `meanDrift`. */
export function auditRecord(step: number, duplicateShare: number, meanDrift = 1): AuditRecord {
  return AuditRecordSchema.parse({
    v: 1,
    step,
    completions: 8,
    length: { mean: 5 * meanDrift, p95: 6, atCap: 0, meanDrift, p95Drift: 1 },
    duplicateShare,
    repeatRate: 0,
    passRates: { format: 0.5 },
    formatNotAccuracy: null,
    opposed: [],
    multipleCandidates: {},
    flagged: Math.round(duplicateShare * 8),
  });
}
