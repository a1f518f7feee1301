import { startServer } from '../../src/app.factory.js';
import type { SettingName } from '../../src/core/config/settings.js';

/**
 * A second Tenantflow server in its own process (own pools, caches and cluster bus connection), for tests that need
 * "another instance". Prints `{"url": ...}` once listening; stops on SIGTERM. `TF_CHILD_SETTINGS` (JSON) adds
 * settings (mode, trusted proxies, limits).
 */
const extra = JSON.parse(process.env.TF_CHILD_SETTINGS ?? '{}') as Partial<Record<SettingName, string>>;
const server = await startServer({
  env: { NODE_ENV: 'test' },
  overrides: {
    DATABASE_URL: process.env.TF_CHILD_DATABASE_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TF_TEST_LOG_LEVEL ?? 'silent',
    ...(process.env.TF_CHILD_REDIS_URL ? { REDIS_URL: process.env.TF_CHILD_REDIS_URL } : {}),
    ...extra,
  },
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
