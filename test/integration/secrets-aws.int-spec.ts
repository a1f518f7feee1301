import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy } from '../../src/modules/egress/index.js';
import type { AwsAuth } from '../../src/modules/secrets/provider-config.js';
import { AwsProvider } from '../../src/modules/secrets/providers/aws.provider.js';
import { guardedAgents } from '../../src/modules/secrets/providers/guarded-agent.js';
import { pickValue } from '../../src/modules/secrets/secret-reference.js';
import { ProviderFailure } from '../../src/modules/secrets/secrets.exception.js';
import { SecretsManagerDouble } from '../utils/doubles/secrets-manager-double.js';
import { motoAvailable, startMoto } from '../utils/doubles/moto.js';

/**
 * Must show 1 (AWS): the real, unmodified `@aws-sdk/client-secrets-manager` against `moto_server` started on
 * loopback when the machine has it, and always against a loopback double that verifies every SigV4 signature. No
 * backend is skipped silently: without moto, the moto suite is replaced by a test that says so.
 */
const REGION = 'eu-west-1';
const HAS_MOTO = motoAvailable();

interface Backend {
  url: string;
  creds: AwsAuth;
  stop(): Promise<void>;
  double?: SecretsManagerDouble;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'SigV4-verifying double',
    async () => {
      const d = await new SecretsManagerDouble(REGION).start();
      return { url: d.url, creds: d.credentials, stop: () => d.stop(), double: d };
    },
  ],
];
if (HAS_MOTO) {
  backends.unshift([
    'moto_server',
    async () => {
      const m = await startMoto();
      return {
        url: m.url,
        creds: { accessKeyId: 'AKIAMOTO000000000001', secretAccessKey: 'moto-secret' },
        stop: m.stop,
      };
    },
  ]);
} else {
  describe('aws provider against moto_server', () => {
    it('moto_server is not on PATH here: the AWS tests ran against the SigV4-verifying double only', () => {
      console.warn('moto_server not found: AWS secret-provider tests use the loopback SigV4 double only');
      expect(HAS_MOTO).toBe(false);
    });
  });
}

describe.each(backends)('aws provider (@aws-sdk/client-secrets-manager) against %s', (_label, start) => {
  let b: Backend;
  const made: AwsProvider[] = [];
  const provider = (opts: { stage?: string; creds?: AwsAuth; allow?: string[]; endpoint?: string } = {}) => {
    const p = new AwsProvider(
      { region: REGION, endpoint: opts.endpoint ?? b.url, ...(opts.stage ? { versionStage: opts.stage } : {}) },
      opts.creds ?? b.creds,
      guardedAgents({ policy: new EgressPolicy(opts.allow ?? ['127.0.0.1']) }),
      5000,
    );
    made.push(p);
    return p;
  };
  const reason = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ProviderFailure);
    return (e as ProviderFailure).reason;
  };

  beforeAll(async () => {
    b = await start();
    const admin = new SecretsManagerClient({ region: REGION, endpoint: b.url, credentials: b.creds });
    await admin.send(
      new CreateSecretCommand({ Name: 'stripe', SecretString: JSON.stringify({ api_key: 'sk_aws_current', n: 7 }) }),
    );
    await admin.send(
      new PutSecretValueCommand({
        SecretId: 'stripe',
        SecretString: JSON.stringify({ api_key: 'sk_aws_newer', n: 8 }),
      }),
    );
    await admin.send(new CreateSecretCommand({ Name: 'prod/plain', SecretString: 'plain-text-value' }));
    await admin.send(new CreateSecretCommand({ Name: 'blob', SecretBinary: Buffer.from('binary-bytes') }));
    admin.destroy();
  }, 60_000);
  afterEach(() => {
    for (const p of made.splice(0)) p.dispose();
  });
  afterAll(() => b?.stop());

  it('reads the current version of a JSON secret; #key selects a field', async () => {
    const value = await provider().getSecret('stripe');
    expect(pickValue(value, 'api_key')).toBe('sk_aws_newer');
    expect(pickValue(value, 'n')).toBe('8');
    expect(() => pickValue(value, 'missing')).toThrow(ProviderFailure);
  });

  it('honours the version stage', async () => {
    expect(pickValue(await provider({ stage: 'AWSPREVIOUS' }).getSecret('stripe'), 'api_key')).toBe('sk_aws_current');
  });

  it('returns a plain string whole, a nested name, and binary as base64', async () => {
    const p = provider();
    expect(await p.getSecret('prod/plain')).toBe('plain-text-value');
    expect(Buffer.from((await p.getSecret('blob')) as string, 'base64').toString()).toBe('binary-bytes');
  });

  it('answers a missing secret as not_found', async () => {
    expect(await reason(provider().getSecret('no-such-secret'))).toBe('not_found');
  });

  it('tests the provider (lists one secret)', async () => {
    expect(await provider().test()).toEqual({ ok: true });
  });

  it("applies the org egress policy to the SDK's sockets", async () => {
    const count = b.double?.verified.length;
    expect(await reason(provider({ allow: [] }).getSecret('stripe'))).toBe('egress_refused');
    if (b.double) expect(b.double.verified.length).toBe(count);
  });

  it('reports an unreachable endpoint', async () => {
    expect(await reason(provider({ endpoint: 'http://127.0.0.1:9' }).getSecret('stripe'))).toBe('unreachable');
  });

  it('signs with SigV4: the double refuses a wrong secret key or region as denied', async () => {
    if (!b.double) {
      expect(HAS_MOTO).toBe(true); // moto accepts any credentials by design; the double below checks signatures
      return;
    }
    const before = b.double.rejected;
    expect(await reason(provider({ creds: { ...b.creds, secretAccessKey: 'wrong' } }).getSecret('stripe'))).toBe(
      'denied',
    );
    expect(b.double.rejected).toBe(before + 1);
    const other = new AwsProvider(
      { region: 'us-east-1', endpoint: b.url },
      b.creds,
      guardedAgents({ policy: new EgressPolicy(['127.0.0.1']) }),
      5000,
    );
    made.push(other);
    expect(await reason(other.getSecret('stripe'))).toBe('denied');
    expect(b.double.verified.every((v) => v.region === REGION)).toBe(true);
  });
});
