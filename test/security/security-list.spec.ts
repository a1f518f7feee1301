import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SECURITY_TEST_FILES } from './security-tests.js';

describe('the list of security tests', () => {
  it('names files that exist (a renamed or deleted security test must leave the list too, not fall out of the rule)', () => {
    const missing = SECURITY_TEST_FILES.filter((file) => !existsSync(new URL(`../../${file}`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});
