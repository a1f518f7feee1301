import { describe, expect, it } from 'vitest';
import { UUID_RE, uuidv7 } from '../../../../core/crypto/tokens.js';
import { fastUuidv7 } from '../ids.js';

describe('fastUuidv7', () => {
  it('makes unique, time-ordered version 7 UUIDs like the core generator', () => {
    const ids = Array.from({ length: 5000 }, () => fastUuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(UUID_RE);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    const core = uuidv7();
    expect(fastUuidv7().slice(0, 8)).toBe(core.slice(0, 8));
    const a = fastUuidv7();
    const later = Date.now() + 5;
    while (Date.now() < later) {
      /* wait for the clock */
    }
    expect(fastUuidv7() > a).toBe(true);
  });
});
