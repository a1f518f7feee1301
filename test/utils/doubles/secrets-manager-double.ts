import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for AWS Secrets Manager (JSON 1.1 protocol: `POST /` with `X-Amz-Target:
 * secretsmanager.<Operation>`) for machines without moto. Every request's SigV4 signature is recomputed from the
 * canonical request and compared; a wrong key, a wrong region or service in the scope, or a tampered body answers
 * 400 `InvalidSignatureException` / `UnrecognizedClientException`, as AWS does. Covers CreateSecret,
 * PutSecretValue, GetSecretValue (version stages) and ListSecrets.
 */
export class SecretsManagerDouble {
  readonly credentials = { accessKeyId: 'AKIADOUBLE0000000001', secretAccessKey: 'double-secret-access-key' };
  readonly verified: { operation: string; region: string }[] = [];
  rejected = 0;
  private readonly secrets = new Map<
    string,
    { arn: string; versions: { id: string; stages: string[]; string?: string; binary?: string }[] }
  >();
  private server?: Server;
  url = '';

  constructor(readonly region = 'eu-west-1') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const problem = this.verify(req, body);
    if (problem) {
      this.rejected++;
      return fail(res, 400, problem.type, problem.message);
    }
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    this.verified.push({ operation, region: this.region });
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      return fail(res, 400, 'SerializationException', 'bad JSON');
    }
    switch (operation) {
      case 'CreateSecret':
        return this.create(res, input);
      case 'PutSecretValue':
        return this.putValue(res, input);
      case 'GetSecretValue':
        return this.get(res, input);
      case 'ListSecrets':
        return send(res, 200, { SecretList: [...this.secrets.entries()].map(([Name, s]) => ({ Name, ARN: s.arn })) });
      default:
        return fail(res, 400, 'InvalidAction', 'unknown operation');
    }
  }

  /** SigV4 (AWS4-HMAC-SHA256) as AWS checks it; returns the error to answer, or null. */
  private verify(req: IncomingMessage, body: Buffer): { type: string; message: string } | null {
    const auth = String(req.headers.authorization ?? '');
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) return { type: 'IncompleteSignatureException', message: 'missing or malformed Authorization' };
    const [, keyId, day, region, service, signedHeaders, signature] = m;
    if (keyId !== this.credentials.accessKeyId)
      return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(day) || region !== this.region || service !== 'secretsmanager')
      return { type: 'InvalidSignatureException', message: 'Credential should be scoped correctly.' };
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date'))
      return { type: 'InvalidSignatureException', message: 'host and x-amz-date must be signed' };
    const payloadHash = sha256(body);
    const declared = req.headers['x-amz-content-sha256'];
    if (declared !== undefined && declared !== payloadHash)
      return { type: 'InvalidSignatureException', message: 'payload hash mismatch' };
    const url = new URL(req.url ?? '/', 'http://x');
    const query = [...url.searchParams.entries()]
      .map(([k, v]) => `${enc(k)}=${enc(v)}`)
      .sort()
      .join('&');
    const canonicalHeaders = names
      .map(
        (n) =>
          `${n}:${String(req.headers[n] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('');
    const canonical = [
      req.method,
      url.pathname.split('/').map(enc).join('/'),
      query,
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(Buffer.from(canonical))].join('\n');
    let key: Buffer = hmac(Buffer.from(`AWS4${this.credentials.secretAccessKey}`), day);
    for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
    const expected = createHmac('sha256', key).update(toSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return {
        type: 'InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    }
    return null;
  }

  private create(res: ServerResponse, input: Record<string, unknown>): void {
    const name = String(input.Name);
    if (this.secrets.has(name)) return fail(res, 400, 'ResourceExistsException', 'exists');
    const arn = `arn:aws:secretsmanager:${this.region}:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`;
    const id = randomUUID();
    this.secrets.set(name, {
      arn,
      versions: [
        {
          id,
          stages: ['AWSCURRENT'],
          string: input.SecretString as string | undefined,
          binary: input.SecretBinary as string | undefined,
        },
      ],
    });
    send(res, 200, { ARN: arn, Name: name, VersionId: id });
  }

  private putValue(res: ServerResponse, input: Record<string, unknown>): void {
    const s = this.find(String(input.SecretId));
    if (!s) return fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    for (const v of s.versions)
      v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : v.stages.filter((x) => x !== 'AWSPREVIOUS');
    const id = randomUUID();
    s.versions.push({
      id,
      stages: ['AWSCURRENT'],
      string: input.SecretString as string | undefined,
      binary: input.SecretBinary as string | undefined,
    });
    send(res, 200, { ARN: s.arn, VersionId: id });
  }

  private get(res: ServerResponse, input: Record<string, unknown>): void {
    const s = this.find(String(input.SecretId));
    const stage = String(input.VersionStage ?? 'AWSCURRENT');
    const v = s?.versions.find((x) => x.stages.includes(stage));
    if (!s || !v)
      return fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const name = [...this.secrets.entries()].find(([, x]) => x === s)![0];
    send(res, 200, {
      ARN: s.arn,
      Name: name,
      VersionId: v.id,
      VersionStages: v.stages,
      CreatedDate: Date.now() / 1000,
      ...(v.string !== undefined ? { SecretString: v.string } : { SecretBinary: v.binary }),
    });
  }

  private find(id: string) {
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const enc = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function fail(res: ServerResponse, status: number, type: string, message: string): void {
  const text = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': type,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
