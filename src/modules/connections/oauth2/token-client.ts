import {
  EgressError,
  EgressNetworkError,
  type SafeHttpRequestOptions,
  type SafeHttpResponse,
} from '../../egress/index.js';

export type HttpCall = (options: SafeHttpRequestOptions) => Promise<SafeHttpResponse>;

export interface TokenResponse {
  accessToken: string;
  tokenType?: string;
  refreshToken?: string;
  expiresIn?: number;
  scope?: string;
}

/** A failure to obtain a token; the message names the reason and status, never a credential or token. */
export class TokenRequestError extends Error {
  constructor(
    readonly reason: string,
    readonly retryable = false,
  ) {
    super(`the token endpoint refused or failed (${reason})`);
  }
}

// RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding.
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

/**
 * POSTs a token request to the connection's own token URL (through the egress guard) with client_secret_basic
 * authentication, and reads the JSON answer.
 */
export async function requestToken(
  http: HttpCall,
  tokenUrl: string,
  client: { id: string; secret: string },
  form: Record<string, string | undefined>,
): Promise<TokenResponse> {
  const body = new URLSearchParams(
    Object.entries(form).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();
  let res: SafeHttpResponse;
  try {
    res = await http({
      method: 'POST',
      url: tokenUrl,
      body,
      timeoutMs: 10_000,
      maxResponseBytes: 64 * 1024,
      maxRedirects: 0,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${formEncode(client.id)}:${formEncode(client.secret)}`).toString('base64')}`,
      },
    });
  } catch (e) {
    if (e instanceof EgressError) throw new TokenRequestError(e.reason, e instanceof EgressNetworkError);
    throw e;
  }
  const json = parseJson(res.body);
  if (res.status >= 400 || !json || typeof json.access_token !== 'string') {
    const code =
      json && typeof json.error === 'string' && /^[a-z_]{1,64}$/.test(json.error) ? json.error : `http_${res.status}`;
    throw new TokenRequestError(code, res.status >= 500 || res.status === 429);
  }
  return {
    accessToken: json.access_token,
    tokenType: typeof json.token_type === 'string' ? json.token_type : undefined,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
    expiresIn: typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : undefined,
    scope: typeof json.scope === 'string' ? json.scope : undefined,
  };
}

function parseJson(body: unknown): Record<string, unknown> | null {
  try {
    const v = Buffer.isBuffer(body)
      ? JSON.parse(body.toString('utf8'))
      : typeof body === 'string'
        ? JSON.parse(body)
        : body;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
