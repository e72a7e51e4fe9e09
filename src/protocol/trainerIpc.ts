// Messages on the child-process channel between the host (parent) and `bnpo train` started with fork (child).
import { z } from 'zod';

/** Host → trainer: `stop` checkpoints and exits 0 with status `stopped`; `checkpoint` writes one now and goes on. */
export const HostToTrainerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('checkpoint') }),
]);
export type HostToTrainer = z.infer<typeof HostToTrainerSchema>;

/** Trainer → host: where the run lives, progress, and how it ended (the run directory remains the source of truth). */
export const TrainerToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), runDir: z.string(), runId: z.string(), backend: z.string() }),
  z.object({
    type: z.literal('progress'),
    phase: z.enum(['sft', 'rl']),
    step: z.number().int().nonnegative(),
    totalSteps: z.number().int().nonnegative(),
    reward: z.number().nullable(),
    accuracy: z.number().nullable(),
  }),
  z.object({ type: z.literal('checkpointed'), step: z.number().int().nonnegative(), path: z.string() }),
  z.object({
    type: z.literal('finished'),
    status: z.enum(['completed', 'failed', 'stopped']),
    error: z.string().nullable(),
  }),
]);
export type TrainerToHost = z.infer<typeof TrainerToHostSchema>;
