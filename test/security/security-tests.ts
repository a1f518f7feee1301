/**
 * The security tests: files whose every test guards a security property (isolation, authentication, secret
 * handling, replay and rate limits, egress, the sandbox). With CI=true the run fails when any test in one of these
 * files is skipped (see test/utils/summary-reporter.ts): what they need (Redis, Chromium, openssl) is provided by
 * .ci/run, so a skip there means a guard silently stopped running. `security-list.spec.ts` keeps the list true.
 */
export const SECURITY_TEST_FILES: readonly string[] = [
  'src/modules/authorization/__tests__/rules-and-coverage.spec.ts',
  'src/modules/audit/__tests__/audit-redaction.spec.ts',
  'src/modules/egress/__tests__/address-classifier.spec.ts',
  'src/modules/egress/__tests__/egress-target.spec.ts',
  'src/modules/egress/__tests__/safe-http-request.denied.spec.ts',
  'src/modules/egress/__tests__/safe-http-request.limits.spec.ts',
  'src/modules/egress/__tests__/safe-http-request.spec.ts',
  'src/modules/egress/__tests__/safe-http-request.tls.spec.ts',
  'src/modules/sandbox/__tests__/hostile-code.spec.ts',
  'test/integration/rls.int-spec.ts',
  'test/integration/sso-state.int-spec.ts',
  'test/integration/redis-limits.int-spec.ts',
  'test/integration/ability-contributors.int-spec.ts',
  'test/integration/audit-atomicity.int-spec.ts',
  'test/integration/audit-chain.int-spec.ts',
  'test/integration/embedded-postgres.int-spec.ts',
  'test/e2e/api-keys.e2e-spec.ts',
  'test/e2e/audit-secrets.e2e-spec.ts',
  'test/e2e/auth-rate-limit.e2e-spec.ts',
  'test/e2e/cross-org.e2e-spec.ts',
  'test/e2e/denials.e2e-spec.ts',
  'test/e2e/escalation.e2e-spec.ts',
  'test/e2e/hostile-runs.e2e-spec.ts',
  'test/e2e/log-secrets.e2e-spec.ts',
  'test/e2e/revocation-multi-instance.e2e-spec.ts',
  'test/e2e/role-matrix.e2e-spec.ts',
  'test/e2e/rate-limits-multi-process.e2e-spec.ts',
  'test/e2e/route-auth-walker.e2e-spec.ts',
  'test/e2e/security-controls.e2e-spec.ts',
  'test/e2e/sessions.e2e-spec.ts',
  'test/e2e/sso-browser.e2e-spec.ts',
  'test/e2e/sso-limits.e2e-spec.ts',
  'test/e2e/sso-oidc.e2e-spec.ts',
  'test/e2e/sso-saml.e2e-spec.ts',
  'test/e2e/webhooks.e2e-spec.ts',
];
