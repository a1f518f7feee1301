import type { Redis } from 'ioredis';
import { SsoStateStore, type OidcFlow, type SamlRequestRecord } from './sso-state.store.js';

const key = (orgId: string, kind: string, id: string): string => `tf:sso:${orgId}:${kind}:${id}`;

/** The state store on Redis for scale-out deployments (REDIS_URL): SET NX for replay marks, GETDEL for single use. */
export class RedisSsoStateStore extends SsoStateStore {
  constructor(private readonly redis: Redis) {
    super();
  }

  async saveSamlRequest(
    orgId: string,
    requestId: string,
    request: { returnTo: string; bindingHash: Buffer },
    ttlMs: number,
  ): Promise<void> {
    const value = JSON.stringify({
      createdAt: new Date().toISOString(),
      returnTo: request.returnTo,
      bindingHash: request.bindingHash.toString('base64'),
    });
    await this.redis.set(key(orgId, 'samlreq', requestId), value, 'PX', Math.ceil(ttlMs), 'NX');
  }

  async getSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null> {
    return parseRequest(await this.redis.get(key(orgId, 'samlreq', requestId)));
  }

  async takeSamlRequest(orgId: string, requestId: string): Promise<SamlRequestRecord | null> {
    return parseRequest(await this.redis.getdel(key(orgId, 'samlreq', requestId)));
  }

  async assertionSeen(orgId: string, assertionId: string): Promise<boolean> {
    return (await this.redis.exists(key(orgId, 'assertion', assertionId))) === 1;
  }

  async markAssertionSeen(orgId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    const ttl = Math.max(1000, expiresAt.getTime() - Date.now());
    return (await this.redis.set(key(orgId, 'assertion', assertionId), '1', 'PX', ttl, 'NX')) === 'OK';
  }

  async saveOidcFlow(orgId: string, flow: OidcFlow, ttlMs: number): Promise<void> {
    const value = JSON.stringify({ ...flow, bindingHash: flow.bindingHash.toString('base64') });
    await this.redis.set(key(orgId, 'oidc', flow.state), value, 'PX', Math.ceil(ttlMs), 'NX');
  }

  async takeOidcFlow(orgId: string, state: string): Promise<OidcFlow | null> {
    const raw = await this.redis.getdel(key(orgId, 'oidc', state));
    if (!raw) return null;
    const v = JSON.parse(raw) as Omit<OidcFlow, 'bindingHash'> & { bindingHash: string };
    return { ...v, bindingHash: Buffer.from(v.bindingHash, 'base64') };
  }
}

function parseRequest(raw: string | null): SamlRequestRecord | null {
  if (!raw) return null;
  const v = JSON.parse(raw) as { createdAt: string; returnTo: string; bindingHash?: string };
  return {
    createdAt: new Date(v.createdAt),
    returnTo: v.returnTo,
    bindingHash: v.bindingHash ? Buffer.from(v.bindingHash, 'base64') : null,
  };
}
