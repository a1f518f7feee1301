import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { RequestContextStore, type Principal, type RequestContext } from '../../../core/context/request-context.js';
import { CommonException } from '../../../core/errors/app.exception.js';
import type { Denial, DenialRecorder } from '../denials.js';
import { ServiceDenials } from '../service-denials.js';

const principal: Principal = { type: 'api_key', id: 'k1', orgId: '0190a000-0000-7000-8000-000000000001' };
const req = { method: 'PATCH', route: { path: '/api/v1/flows/:flowId' } } as unknown as Request;

/** A recorder that keeps what it was asked to record (the real one writes to the audit chain). */
function recorder() {
  const denials: Denial[] = [];
  const marked = new WeakSet<object>();
  const rec = {
    isRecorded: (e: unknown) => typeof e === 'object' && e !== null && marked.has(e),
    record: (_p: Principal, d: Denial, e?: unknown) => {
      denials.push(d);
      if (e && typeof e === 'object') marked.add(e);
      return Promise.resolve();
    },
  };
  return { denials, observer: new ServiceDenials(rec as unknown as DenialRecorder) };
}

const inContext = (ctx: Partial<RequestContext>, fn: () => unknown) =>
  RequestContextStore.run({ requestId: 'r', ...ctx }, fn);

describe('services’ 403s are recorded by the error filter (ServiceDenials)', () => {
  it('records a 403 a service raised after the guard admitted the request, once', async () => {
    const { denials, observer } = recorder();
    const e = new CommonException('forbidden', 'no');
    const admitted = { policy: { action: 'update' as const, subject: 'Flow' as const } };
    await inContext({ principal, admitted }, () => observer.observe(e, req));
    expect(denials).toEqual([
      {
        resourceType: 'Flow',
        reason: 'instance',
        metadata: { method: 'PATCH', route: '/api/v1/flows/:flowId', action: 'update' },
      },
    ]);
    expect(inContext({ principal, admitted }, () => observer.observe(e, req))).toBeUndefined();
    expect(denials).toHaveLength(1);
  });

  it('leaves alone what the guard refused (a suspended org’s credential), other statuses, and anonymous requests', () => {
    const { denials, observer } = recorder();
    const admitted = {};
    expect(
      inContext({ principal }, () => observer.observe(new CommonException('org_suspended', 'x'), req)),
    ).toBeUndefined();
    expect(
      inContext({ principal, admitted }, () => observer.observe(new CommonException('not_found', 'x'), req)),
    ).toBeUndefined();
    expect(inContext({ admitted }, () => observer.observe(new CommonException('forbidden', 'x'), req))).toBeUndefined();
    expect(observer.observe(new CommonException('forbidden', 'x'), req)).toBeUndefined();
    expect(denials).toEqual([]);
  });
});
