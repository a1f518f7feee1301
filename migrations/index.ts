import type { MigrationInterface } from 'typeorm';
import { Foundation1764000000000 } from './1764000000000-Foundation.js';
import { Identity1764100000000 } from './1764100000000-Identity.js';
import { Sso1764200000000 } from './1764200000000-Sso.js';
import { AuditLog1764300000000 } from './1764300000000-AuditLog.js';
import { Flows1764400000000 } from './1764400000000-Flows.js';
import { Runs1764500000000 } from './1764500000000-Runs.js';
import { SamlBrowserBinding1764600000000 } from './1764600000000-SamlBrowserBinding.js';
import { KeyRing1765700000000 } from './1765700000000-KeyRing.js';
import { Connections1765700100000 } from './1765700100000-Connections.js';
import { SecretProviders1765800000000 } from './1765800000000-SecretProviders.js';
import { PluginConfig1765900000000 } from './1765900000000-PluginConfig.js';
import { Embedding1766000000000 } from './1766000000000-Embedding.js';
import { ScheduleAndRetention1766100000000 } from './1766100000000-ScheduleAndRetention.js';
import { RunQueue1766200000000 } from './1766200000000-RunQueue.js';

/** Every migration, in order. Passed as classes (not globs) so dist, Vitest and the CLI share one list. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  Foundation1764000000000,
  Identity1764100000000,
  Sso1764200000000,
  AuditLog1764300000000,
  Flows1764400000000,
  Runs1764500000000,
  SamlBrowserBinding1764600000000,
  KeyRing1765700000000,
  Connections1765700100000,
  SecretProviders1765800000000,
  PluginConfig1765900000000,
  Embedding1766000000000,
  ScheduleAndRetention1766100000000,
  RunQueue1766200000000,
];
