import { randomUUID } from 'node:crypto';

/** DI token of this process's instance id (runs it executes carry it until they finish). */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

export const newInstanceId = (): string => randomUUID();

/** NOTIFY channel: payload is a run id to cancel wherever it executes. */
export const RUN_CANCEL_CHANNEL = 'tenantflow_run_cancel';
