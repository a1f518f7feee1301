import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Tenantflow API')
    .setDescription(
      'Multi-tenant workflow automation. Errors are RFC 9457 problem+json with a stable `code`. ' +
        'Every route is rate limited (per credential; per client address where no credential is needed; per flow on ' +
        '/hooks): answers carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a spent budget is 429 ' +
        '`rate_limited` with `Retry-After`, and an unreachable shared limit store 503 `rate_limit_unavailable`.',
    )
    .setVersion('0.1.0')
    .setOpenAPIVersion('3.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'tfk_… (org API key) or tfp_… (platform key)' })
    .addCookieAuth(
      'tenantflow_session',
      {
        type: 'apiKey',
        in: 'cookie',
        description: 'Browser session; unsafe methods also need X-CSRF-Token (from GET /api/v1/auth/me)',
      },
      'session',
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the UI at /docs and the document at /docs/openapi.json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}
