import { Database } from '../../src/core/database/database.js';
import { TestSamlIdp } from '../utils/idp/saml-idp.js';
import { urlsFor } from '../utils/idp/sso-test-kit.js';
import { bearer } from '../utils/test-app.js';
import { bearerOf, type RouteFixture, type WalkerContext } from './types.js';

const actor = (id: string) => ({ type: 'api_key', id });

/** One IdP key pair for every SAML fixture (generating RSA keys is slow); the IdP's HTTP side is not needed. */
let idp: TestSamlIdp | undefined;
const theIdp = (): TestSamlIdp => (idp ??= new TestSamlIdp('walker'));

const saml = (extra: Record<string, unknown> = {}) => ({
  enabled: true,
  idpEntityId: theIdp().entityId,
  ssoUrl: 'https://walker.idp.test/sso',
  idpCerts: [theIdp().keys.certPem],
  ...extra,
});
const oidc = () => ({
  enabled: true,
  provider: 'oidc',
  issuer: 'https://issuer.walker.test',
  clientId: 'walker-client',
  clientSecret: 'walker-client-secret',
});

/** The org's configuration row id for `protocol` (the audit resource id; the API addresses it by protocol). */
const configId = (ctx: WalkerContext, orgId: string, protocol: 'saml' | 'oidc'): Promise<string> =>
  ctx.t.server.app.get(Database).withOrg(
    orgId,
    async (em) =>
      (
        (await em.query('SELECT id FROM sso_config WHERE org_id = $1 AND protocol = $2', [orgId, protocol])) as {
          id: string;
        }[]
      )[0].id,
  );

const configured = async (ctx: WalkerContext, protocol: 'saml' | 'oidc'): Promise<string> => {
  await ctx.t
    .http()
    .put(`/api/v1/sso/${protocol}`)
    .set(bearerOf(ctx.owner))
    .send(protocol === 'saml' ? saml() : oidc())
    .expect(200);
  return configId(ctx, ctx.org.id, protocol);
};

interface SignIn {
  org: { id: string; slug: string };
  email: string;
}

const putAndDelete = (protocol: 'saml' | 'oidc'): RouteFixture<any>[] => [
  {
    route: `PUT /api/v1/sso/${protocol}`,
    call: (ctx, _s, c) =>
      ctx.t
        .http()
        .put(`/api/v1/sso/${protocol}`)
        .set(bearerOf(c))
        .send(protocol === 'saml' ? saml() : oidc()),
    expect: async (ctx) => [
      {
        orgId: ctx.org.id,
        action: 'sso.updated',
        resourceType: 'sso_config',
        resourceId: await configId(ctx, ctx.org.id, protocol),
        actor: actor(ctx.owner.id),
      },
    ],
  },
  {
    route: `DELETE /api/v1/sso/${protocol}`,
    prepare: (ctx) => configured(ctx, protocol),
    call: (ctx, _id: string, c) => ctx.t.http().delete(`/api/v1/sso/${protocol}`).set(bearerOf(c)),
    expect: (ctx, id: string) => [
      {
        orgId: ctx.org.id,
        action: 'sso.deleted',
        resourceType: 'sso_config',
        resourceId: id,
        actor: actor(ctx.owner.id),
      },
    ],
  },
];

export const fixtures: RouteFixture<any>[] = [
  ...putAndDelete('saml'),
  ...putAndDelete('oidc'),
  {
    route: 'POST /auth/:orgSlug/saml/acs',
    noDenial: "public: the browser posts the IdP's signed assertion",
    status: 303,
    // An org of its own, so the walker's org keeps its SSO configuration to the fixtures above.
    prepare: async (ctx): Promise<SignIn> => {
      const org = await ctx.t.createOrg(ctx.unique('acs'));
      await ctx.t
        .http()
        .put('/api/v1/sso/saml')
        .set(bearer(org.ownerKey))
        .send(saml({ allowIdpInitiated: true, defaultRole: 'viewer' }))
        .expect(200);
      return { org: { id: org.id, slug: org.slug }, email: `${ctx.unique('saml')}@walker.test` };
    },
    call: (ctx, s: SignIn) => {
      const urls = urlsFor(ctx.t, s.org.slug);
      const xml = theIdp().response({
        user: { nameId: s.email, email: s.email },
        acsUrl: urls.acs,
        audience: urls.entityId,
        inResponseTo: null,
      });
      return ctx.t
        .http()
        .post(`/auth/${s.org.slug}/saml/acs`)
        .type('form')
        .send({ SAMLResponse: Buffer.from(xml).toString('base64') });
    },
    // First sign-in: the user is provisioned (by the system, on the IdP's word), then signs in as themselves.
    expect: async (ctx, s: SignIn) => {
      const userId = await ctx.t.server.app.get(Database).withOrg(
        s.org.id,
        async (em) =>
          (
            (await em.query('SELECT id FROM app_user WHERE org_id = $1 AND email = $2', [s.org.id, s.email])) as {
              id: string;
            }[]
          )[0].id,
      );
      return [
        {
          orgId: s.org.id,
          action: 'user.created',
          resourceType: 'user',
          resourceId: userId,
          actor: { type: 'system', id: null },
        },
        {
          orgId: s.org.id,
          action: 'auth.login',
          resourceType: 'user',
          resourceId: userId,
          actor: { type: 'user', id: userId },
        },
      ];
    },
  },
];
