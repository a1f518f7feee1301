import type { MigrationInterface } from 'typeorm';
import { Foundation1764000000000 } from './1764000000000-Foundation.js';
import { AuditLog1764300000000 } from './1764300000000-AuditLog.js';

/** Every migration, in order. Passed as classes (not globs) so dist, Vitest and the CLI share one list. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Foundation1764000000000, AuditLog1764300000000];
