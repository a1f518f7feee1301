import './core/runtime/require-supported-node.js';
import { AppConfig, ConfigError } from './core/config/app-config.js';
import type { RunningServer } from './app.factory.js';

/** `npm start`: one process serving the API (and, in later modes, running flows). */
async function main(): Promise<void> {
  // Signals are taken from the first moment: one that arrives while starting (or the instant the URL is
  // printed) stops the server cleanly once it is up, embedded PostgreSQL included, instead of killing the
  // process with the database left running.
  let server: RunningServer | undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    requested ??= signal;
    if (stopping || !server) return;
    stopping = true;
    const running = server;
    running.deps.log.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err: Error) => {
        running.deps.log.error({ err: err.message }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    AppConfig.fromEnv(); // fail fast on configuration, before loading the application graph
    const { startServer } = await import('./app.factory.js');
    server = await startServer();
  } catch (e) {
    // One clear line; no stack trace for configuration mistakes.
    const msg =
      e instanceof ConfigError
        ? `Configuration error: ${e.message}`
        : `Could not start: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`${msg}\n`);
    process.exit(1);
  }
  const { url, firstStart } = server;
  const mode = server.deps.config.get('TENANTFLOW_MODE');
  const lines =
    mode === 'worker'
      ? [`Tenantflow worker listening on ${url} (/health and /metrics only)`]
      : [`Tenantflow listening on ${url}`, `API documentation: ${url}/docs`];
  if (firstStart) {
    lines.push(
      '',
      'First start: these credentials are shown once and never again. Store them now.',
      `  Platform key (platform routes only):  ${firstStart.platformKey}`,
      `  Org "${firstStart.defaultOrg.org.slug}" owner API key:      ${firstStart.defaultOrg.ownerApiKey.key}`,
      '',
      `Try: curl -H "Authorization: Bearer <owner key>" ${url}/api/v1/projects`,
    );
  }
  // Printed even when a stop is already requested: first-start keys exist now and are never shown again.
  process.stdout.write(`${lines.join('\n')}\n`);
  if (requested) stop(requested);
}

await main();
