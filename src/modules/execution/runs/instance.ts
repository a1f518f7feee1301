import { randomUUID } from 'node:crypto';

/** DI token of this process's instance id (runs it executes carry it until they finish). */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

export const newInstanceId = (): string => randomUUID();
