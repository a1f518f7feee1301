import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/core/config/settings.js';

/** Keeps the README table and the config example true to the settings registry. */
describe('configuration documentation', () => {
  const readme = readFileSync('README.md', 'utf8');
  const example = readFileSync('config/tenantflow.env.example', 'utf8');

  it.each(Object.keys(SETTINGS))('%s is documented in README.md and config/tenantflow.env.example', (name) => {
    expect(readme).toContain(`\`${name}\``);
    expect(example).toMatch(new RegExp(`^# ${name}=`, 'm'));
  });

  it('README shows the two commands a newcomer runs', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/npm ci[\s\S]*npm test\s*$/);
  });
});
