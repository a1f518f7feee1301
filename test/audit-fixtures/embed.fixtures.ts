import { generateKeyPairSync } from 'node:crypto';
import { bearerOf, type RouteFixture } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });
const publicKey = () =>
  generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).publicKey;

export const fixtures: RouteFixture<any>[] = [
  {
    route: 'POST /api/v1/embed/keys',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .post('/api/v1/embed/keys')
        .set(bearerOf(c))
        .send({ kid: ctx.unique('kid'), alg: 'ES256', publicKey: publicKey() }),
    expect: (ctx, _s, res) => [
      {
        orgId: ctx.org.id,
        action: 'embed_key.created',
        resourceType: 'embed_key',
        resourceId: res.body.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'DELETE /api/v1/embed/keys/:keyId',
    prepare: async (ctx) =>
      (
        await ctx.t
          .http()
          .post('/api/v1/embed/keys')
          .set(bearerOf(ctx.owner))
          .send({ kid: ctx.unique('kid'), alg: 'ES256', publicKey: publicKey() })
          .expect(201)
      ).body.id as string,
    call: (ctx, id: string, c) => ctx.t.http().delete(`/api/v1/embed/keys/${id}`).set(bearerOf(c)),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'embed_key.deleted',
        resourceType: 'embed_key',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'PUT /api/v1/embed/settings',
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .put('/api/v1/embed/settings')
        .set(bearerOf(c))
        .send({ allowedOrigins: ['https://host.example'] }),
    expect: (ctx) => [
      {
        orgId: ctx.org.id,
        action: 'embed_settings.updated',
        resourceType: 'embed_settings',
        resourceId: ctx.org.id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: 'POST /api/v1/embed/sessions',
    notAudited:
      'a refused token is audited as embed.token_refused and an accepted one as embed.session_opened (test/e2e/embed.e2e-spec.ts); the walker has no signing key',
    noDenial: 'public: the token is the credential',
    call: (ctx) => ctx.t.http().post('/api/v1/embed/sessions').send({ token: 'x' }),
    status: 401,
  },
];
