// A SaaS vendor's host app, reduced to what embedding needs: sign a short-lived embed token for one of the vendor's
// customers, exchange it for an embedded Tenantflow session, then build and run a flow in that customer's project
// with a connection the vendor predefined (the customer uses it, never sees it).
//
//   TENANTFLOW_URL=http://127.0.0.1:3000 EMBED_ORG=acme EMBED_KID=host-1 EMBED_PRIVATE_KEY_FILE=host-key.pem \
//   CONNECTION_ID=<predefined connection id> TARGET_URL=https://api.vendor.example/ping node examples/embed-host/host.mjs
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
};

/** The host's own user and the customer account it shows Tenantflow for. */
const customer = {
  userId: process.env.CUSTOMER_USER ?? 'customer-user-1',
  accountId: process.env.CUSTOMER_ACCOUNT ?? 'customer-account-1',
};

async function embedToken() {
  const alg = process.env.EMBED_ALG ?? 'RS256';
  const key = await importPKCS8(readFileSync(env('EMBED_PRIVATE_KEY_FILE'), 'utf8'), alg);
  return new SignJWT({ externalProjectId: customer.accountId, role: 'editor' })
    .setProtectedHeader({ alg, kid: env('EMBED_KID') })
    .setIssuer(env('EMBED_ORG'))
    .setSubject(customer.userId)
    .setJti(randomUUID())
    .setExpirationTime('2m')
    .sign(key);
}

async function call(session, method, path, body, headers = {}) {
  const res = await fetch(`${env('TENANTFLOW_URL')}${path}`, {
    method,
    headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json', ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { json, headers: res.headers };
}

const opened = await fetch(`${env('TENANTFLOW_URL')}/api/v1/embed/sessions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ token: await embedToken() }),
});
if (!opened.ok) throw new Error(`embed session refused: ${opened.status}`);
const session = await opened.json();

const flow = (
  await call(session.token, 'POST', `/api/v1/projects/${session.projectId}/flows`, { name: `ping ${Date.now()}` })
).json;
const draft = await call(session.token, 'GET', `/api/v1/flows/${flow.id}/draft`);
const definition = {
  schemaVersion: 1,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'ping',
      type: 'http.request',
      params: { method: 'GET', url: env('TARGET_URL'), connectionId: env('CONNECTION_ID') },
    },
  ],
  edges: [{ from: 'trigger', to: 'ping' }],
};
await call(
  session.token,
  'PUT',
  `/api/v1/flows/${flow.id}/draft`,
  { definition },
  { 'if-match': draft.headers.get('etag') },
);
await call(session.token, 'POST', `/api/v1/flows/${flow.id}/publish`, {});
const run = (await call(session.token, 'POST', `/api/v1/flows/${flow.id}/runs`, { input: {}, wait: true })).json;
process.stdout.write(
  `${JSON.stringify({ projectId: session.projectId, flowId: flow.id, runId: run.runId, status: run.status })}\n`,
);
process.exit(run.status === 'succeeded' ? 0 : 1);
