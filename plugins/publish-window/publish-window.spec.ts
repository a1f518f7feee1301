import { callHook } from 'tenantflow/plugin-sdk';
import { describe, expect, it } from 'vitest';
import plugin from './index.js';

const base = {
  principal: { type: 'api_key' as const, id: 'k' },
  subject: 'Flow',
  request: { method: 'POST', path: '/api/v1/flows/f/publish', params: {} },
};

describe('publish-window', () => {
  const hour = new Date().getUTCHours();

  it('denies publishing outside the window and allows it inside', async () => {
    const closed = { startHour: (hour + 1) % 24, endHour: (hour + 2) % 24 };
    expect(await callHook(plugin, 'onAuthorize', { ctx: { ...base, action: 'publish', config: closed } })).toEqual({
      decision: 'deny',
      reason: 'outside_publish_window',
    });
    expect(
      await callHook(plugin, 'onAuthorize', {
        ctx: { ...base, action: 'publish', config: { startHour: 0, endHour: 24 } },
      }),
    ).toEqual({ decision: 'allow' });
  });

  it('handles windows across midnight and abstains from everything but publishing flows', async () => {
    const across = { startHour: (hour + 23) % 24, endHour: (hour + 1) % 24 };
    expect(await callHook(plugin, 'onAuthorize', { ctx: { ...base, action: 'publish', config: across } })).toEqual({
      decision: 'allow',
    });
    expect(
      await callHook(plugin, 'onAuthorize', {
        ctx: { ...base, action: 'update', config: { startHour: 0, endHour: 0 } },
      }),
    ).toEqual({ decision: 'abstain' });
  });
});
