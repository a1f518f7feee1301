// Rewrites config/tenantflow.env.example and the README settings table from the settings registry (run after
// `npm run build`). test/docs.spec.ts fails when they drift.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const run = (mode) => execFileSync(process.execPath, ['scripts/settings-doc.mjs', mode], { encoding: 'utf8' });
writeFileSync('config/tenantflow.env.example', run('env'));
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf('| Setting | Default | Description |');
const end = readme.indexOf('## Architecture');
const table = run('md').replaceAll(' (secret; also `_FILE`)', ' (secret)');
writeFileSync('README.md', `${readme.slice(0, start)}${table}\n${readme.slice(end)}`);
