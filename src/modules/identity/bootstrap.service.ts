import { Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database.js';
import { PlatformKeysService } from './platform-keys.service.js';
import { PlatformService, type CreatedOrg } from './platform.service.js';

export interface FirstStart {
  platformKey: string;
  defaultOrg: CreatedOrg;
}

const BOOTSTRAP_LOCK_KEY = 7_402_118_232;

/**
 * First start on an empty database: a platform key and a `default` org with its owner key. Runs once, under an
 * advisory lock so concurrent first starts agree; returns the credentials to print exactly once.
 */
@Injectable()
export class BootstrapService {
  constructor(
    private readonly db: Database,
    private readonly platformKeys: PlatformKeysService,
    private readonly platform: PlatformService,
  ) {}

  async ensureInitialized(): Promise<FirstStart | null> {
    return this.db.withSystemSession(async (runner) => {
      try {
        await runner.query('SELECT pg_advisory_lock($1)', [BOOTSTRAP_LOCK_KEY]);
        const [{ n }] = (await runner.query('SELECT count(*)::int AS n FROM platform_key')) as { n: number }[];
        const [{ m }] = (await runner.query('SELECT count(*)::int AS m FROM organization')) as { m: number }[];
        if (n > 0 || m > 0) return null;
        const platformKey = await this.platformKeys.create('Initial platform key');
        const defaultOrg = await this.platform.createOrg(
          { name: 'Default', slug: 'default' },
          { type: 'system', id: null },
        );
        return { platformKey: platformKey.key, defaultOrg };
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [BOOTSTRAP_LOCK_KEY]).catch(() => undefined);
      }
    });
  }
}
