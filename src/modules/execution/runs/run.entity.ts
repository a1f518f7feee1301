import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RunErrorType } from '../engine/run-errors.js';
import type { RunStatus } from '../engine/run-types.js';

/** One execution of a flow, pinned to the version (null = the draft) it ran. */
@Entity('run')
export class RunEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') projectId: string;
  @Column('uuid') flowId: string;
  @Column('integer', { nullable: true }) flowVersion: number | null;
  @Column('text') triggerType: 'webhook' | 'manual' | 'schedule';
  @Column('text') status: RunStatus;
  @Column('jsonb', { nullable: true }) input: unknown;
  @Column('jsonb', { nullable: true }) output: unknown;
  @Column('text', { nullable: true }) errorType: RunErrorType | null;
  @Column('text', { nullable: true }) errorMessage: string | null;
  @Column('text', { nullable: true }) errorNodeId: string | null;
  @Column('text', { nullable: true }) idempotencyKey: string | null;
  @Column('text', { nullable: true }) requestHash: string | null;
  @Column('text', { nullable: true }) instanceId: string | null;
  @Column('text', { nullable: true }) createdByType: string | null;
  @Column('uuid', { nullable: true }) createdById: string | null;
  @Column('timestamptz') createdAt: Date;
  @Column('timestamptz', { nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { nullable: true }) finishedAt: Date | null;
}

/** One attempt of one node in a run (redacted, truncated output or a typed error). */
@Entity('step_run')
export class StepRunEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') runId: string;
  @Column('integer') seq: number;
  @Column('text') nodeId: string;
  @Column('text') nodeType: string;
  @Column('integer') attempt: number;
  @Column('integer', { nullable: true }) iteration: number | null;
  @Column('text') status: 'succeeded' | 'failed';
  @Column('timestamptz') startedAt: Date;
  @Column('integer') durationMs: number;
  @Column('jsonb', { nullable: true }) output: unknown;
  @Column('text', { nullable: true }) errorType: RunErrorType | null;
  @Column('text', { nullable: true }) errorMessage: string | null;
}
