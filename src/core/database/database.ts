import pg from 'pg';
import { DataSource, type EntityManager, type EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';
import { RequestContextStore } from '../context/request-context.js';
import { UUID_RE } from '../crypto/tokens.js';
import { SnakeNamingStrategy } from './naming.strategy.js';
import { OrgScopedQuery } from './org-scoped-query.js';

type PgPool = { connect(): Promise<PgClient>; totalCount: number; idleCount: number; waitingCount: number };
type PgClient = { query(q: unknown): unknown; release(err?: boolean): void };

/** The role every tenant query runs as. It cannot bypass row-level security (see migrations). */
export const APP_DB_ROLE = 'tenantflow_app';

export interface DatabaseOptions {
  url: string;
  /** A login for the tenant pool that is (or is a member of) `tenantflow_app`; default: `url` switched into the role. */
  appUrl?: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: (Function | EntitySchema)[];
  migrations: (new () => MigrationInterface)[];
  poolSize: number;
  applicationName?: string;
}

/**
 * Two pools on one database:
 * - `app`: logs in as the configured user but switches to `tenantflow_app` in the startup packet, so
 *   row-level security applies to every query; all tenant work goes through `withOrg` and `readOrg`.
 * - the system pool: the migration owner, which bypasses row-level security. It is private: modules reach it only
 *   through `systemQuery`, `withSystem` and `withSystemSession`, called from a short list of files that hold their
 *   module's named, reviewed pre-tenant and platform queries (credential by public id, org by slug, recovery
 *   sweeps, retention, platform routes). `test/system-pool.spec.ts` keeps that list; adding a file is a review.
 * TypeORM and driver internals (the pg pool behind a DataSource, the connection URL) are touched only here.
 */
export class Database {
  readonly app: DataSource;
  readonly #system: DataSource;
  /** Callbacks to run when the transaction of a query runner opened here commits (see afterCommit). */
  private readonly commitHooks = new WeakMap<QueryRunner, (() => void)[]>();

  constructor(private readonly opts: DatabaseOptions) {
    const common = {
      type: 'postgres' as const,
      url: opts.url,
      entities: opts.entities,
      namingStrategy: new SnakeNamingStrategy(),
      synchronize: false,
    };
    this.app = new DataSource({
      ...common,
      url: opts.appUrl ?? opts.url,
      poolSize: opts.poolSize,
      extra: {
        application_name: opts.applicationName ?? 'tenantflow',
        options: `-c role=${APP_DB_ROLE} -c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000`,
      },
    });
    this.#system = new DataSource({
      ...common,
      poolSize: Math.max(2, Math.ceil(opts.poolSize / 4)),
      migrations: opts.migrations,
      migrationsTableName: 'typeorm_migrations',
      extra: { application_name: `${opts.applicationName ?? 'tenantflow'}:system` },
    });
  }

  /** Connects the system pool only (migrations run before the app pool, whose role they create). */
  async connectSystem(): Promise<void> {
    if (!this.#system.isInitialized) await this.#system.initialize();
  }

  async connectApp(): Promise<void> {
    if (!this.app.isInitialized) await this.app.initialize();
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.app.isInitialized && this.app.destroy(),
      this.#system.isInitialized && this.#system.destroy(),
    ]);
  }

  /**
   * Runs `fn` in a transaction on the tenant pool with `app.org_id` set locally, so row-level security
   * confines it to `orgId`. Nested calls for the same org join the open transaction; another org is refused.
   */
  async withOrg<T>(orgId: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (!UUID_RE.test(orgId)) throw new Error('withOrg needs an organization id');
    const ctx = RequestContextStore.get();
    if (ctx?.tx) {
      if (ctx.tx.orgId !== orgId) throw new Error('A transaction for another organization is already open');
      return fn(ctx.tx.em);
    }
    const qr = this.app.createQueryRunner();
    await qr.connect();
    try {
      // One round trip opens the transaction and sets the tenant (orgId is a validated UUID, safe to inline);
      // TypeORM is then told a transaction is open so nested saves use savepoints instead of their own.
      await qr.query(`START TRANSACTION; SELECT set_config('app.org_id', '${orgId}', true)`);
      Object.assign(qr, { isTransactionActive: true, transactionDepth: 1 });
      const em = qr.manager;
      const inner = { ...(ctx ?? { requestId: 'internal' }), tx: { orgId, em } };
      const hooks: (() => void)[] = [];
      this.commitHooks.set(qr, hooks);
      const result = await RequestContextStore.run(inner, () => fn(em));
      await qr.commitTransaction();
      this.commitHooks.delete(qr);
      runHooks(hooks);
      return result;
    } catch (e) {
      this.commitHooks.delete(qr);
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release();
    }
  }

  /**
   * Runs `fn` once the transaction `em` belongs to (opened by `withOrg` or `withSystem`) commits, and never if it
   * rolls back; outside such a transaction, at once. For side effects that must not be seen before the data is
   * (a Redis message announcing a change).
   */
  afterCommit(em: EntityManager, fn: () => void): void {
    const hooks = em.queryRunner ? this.commitHooks.get(em.queryRunner) : undefined;
    if (hooks) hooks.push(fn);
    else fn();
  }

  /**
   * A single read statement under row-level security for `orgId`, in one round trip (see OrgScopedQuery).
   * Inside an open `withOrg` transaction for the same org it simply joins it.
   */
  async readOrg<T = Record<string, unknown>>(orgId: string, sql: string, params: unknown[] = []): Promise<T[]> {
    if (!UUID_RE.test(orgId)) throw new Error('readOrg needs an organization id');
    const tx = RequestContextStore.get()?.tx;
    if (tx) {
      if (tx.orgId !== orgId) throw new Error('A transaction for another organization is already open');
      return tx.em.query(sql, params) as Promise<T[]>;
    }
    const client = await this.appPool().connect();
    let broken = false;
    try {
      return await new Promise<T[]>((resolve, reject) => {
        client.query(new OrgScopedQuery(orgId, sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
      });
    } catch (e) {
      broken = !(e as { code?: string }).code; // a protocol/socket failure, not an SQL error: drop the client
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private appPool(): PgPool {
    return (this.app.driver as unknown as { master: PgPool }).master;
  }

  /** A transaction on the system pool (no tenant filter). Use only for platform and pre-tenant work. */
  async withSystem<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await this.#system.transaction(async (em) => {
      if (em.queryRunner) this.commitHooks.set(em.queryRunner, hooks);
      try {
        return await fn(em);
      } finally {
        if (em.queryRunner) this.commitHooks.delete(em.queryRunner);
      }
    });
    runHooks(hooks);
    return result;
  }

  /**
   * One statement on the system pool (no row-level security). Called only from a module's named, reviewed
   * queries in its `*.system-queries.ts` file (the list is kept by test/system-pool.spec.ts), never inline in services.
   */
  async systemQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#system.query(sql, params)) as T[];
  }

  /** NOTIFY now, outside any transaction (the PostgreSQL cluster bus). */
  async notify(channel: string, payload: string): Promise<void> {
    await this.#system.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  /**
   * A connection of its own outside the pools, as the migration owner, for what holds a session for the
   * process's life (LISTEN, advisory locks) or a background job's pass (retention). The caller ends it. It bypasses
   * row-level security like the system pool; its callers are listed in `test/system-pool.spec.ts` too.
   */
  async dedicatedClient(applicationName: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.opts.url, application_name: applicationName });
    await client.connect();
    return client;
  }

  /**
   * Runs `fn` on a dedicated connection (see above) while it holds the PostgreSQL advisory lock `lock` (a name, or a
   * numeric key), so one process at a time does the work; null when another process holds the lock. Ending the
   * session releases the lock. Callers are listed in `test/system-pool.spec.ts` like `dedicatedClient`'s.
   */
  async withExclusiveSession<T>(
    applicationName: string,
    lock: string | number,
    fn: (client: pg.Client) => Promise<T>,
    onConnectionError: (err: Error) => void = () => undefined,
  ): Promise<T | null> {
    const client = await this.dedicatedClient(applicationName);
    client.on('error', onConnectionError);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        typeof lock === 'number'
          ? 'SELECT pg_try_advisory_lock($1) AS locked'
          : 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [lock],
      );
      if (!rows[0]?.locked) return null;
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** True when every known migration is applied. */
  async migrationsApplied(): Promise<boolean> {
    return !(await this.#system.showMigrations());
  }

  poolStats(): { name: string; total: number; idle: number; waiting: number }[] {
    return (
      [
        ['app', this.app],
        ['system', this.#system],
      ] as const
    ).map(([name, ds]) => {
      const pool = (ds.driver as unknown as { master?: PgPool }).master;
      return { name, total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
    });
  }

  /** Whether the system pool is connected (background flushes skip their write before it is, and after close). */
  get systemReady(): boolean {
    return this.#system.isInitialized;
  }

  /**
   * One system-pool connection held for `fn` (no transaction), for work serialised by a session-level advisory
   * lock across statements and transactions: migrations, first-start bootstrap.
   */
  async withSystemSession<T>(fn: (session: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.#system.createQueryRunner();
    await runner.connect();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }

  /** Applies pending migrations, one transaction each; the caller holds the migration lock. */
  async applyMigrations(): Promise<string[]> {
    return (await this.#system.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }

  /** Embedded PostgreSQL only: lets the runtime role log in with its generated password. */
  async setAppRolePassword(password: string): Promise<void> {
    await this.#system.query(`ALTER ROLE ${APP_DB_ROLE} WITH LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
  }
}

function runHooks(hooks: (() => void)[]): void {
  for (const h of hooks) {
    try {
      h();
    } catch {
      // A hook's failure must not turn a committed transaction into an error for the caller.
    }
  }
}
