import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { startServer } from './app.factory.js';
import { buildOpenApi } from './openapi.setup.js';

/** `npm run openapi [file]`: writes the OpenAPI 3.1 document (default openapi.json) without listening. */
const out = process.argv[2] ?? 'openapi.json';
const server = await startServer({ listen: false, background: false, overrides: { LOG_LEVEL: 'warn' } });
try {
  writeFileSync(out, `${JSON.stringify(buildOpenApi(server.app), null, 2)}\n`);
  process.stdout.write(`Wrote ${out}\n`);
} finally {
  await server.close();
}
