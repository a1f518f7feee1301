/**
 * The registry of every setting the server reads from the environment. Each entry documents itself
 * (description, group, sensitivity) so README tables and `config/tenantflow.env.example` stay true.
 * Any secret setting may also be given as `<NAME>_FILE` (a path whose contents are the value).
 */
export type SettingKind = 'string' | 'int' | 'bool' | 'enum' | 'url' | 'duration_ms' | 'bytes';

export interface SettingSpec {
  kind: SettingKind;
  group: 'server' | 'database' | 'security' | 'limits' | 'scale-out' | 'logging' | 'observability';
  description: string;
  default?: string;
  sensitive?: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
}

export const SETTINGS = {
  NODE_ENV: {
    kind: 'enum',
    group: 'server',
    values: ['development', 'production', 'test'],
    default: 'development',
    description: 'Runtime environment; anything but production is "development" for security defaults.',
  },
  HOST: { kind: 'string', group: 'server', default: '127.0.0.1', description: 'Interface the HTTP server binds to.' },
  PORT: {
    kind: 'int',
    group: 'server',
    default: '3000',
    min: 0,
    max: 65535,
    description: 'HTTP port (0 picks a free port).',
  },
  TENANTFLOW_PUBLIC_URL: {
    kind: 'url',
    group: 'server',
    description:
      'Public base URL; every URL handed out or registered with an IdP is built from it. Default http://<HOST>:<PORT>.',
  },
  TENANTFLOW_MODE: {
    kind: 'enum',
    group: 'scale-out',
    values: ['all', 'api', 'worker'],
    default: 'all',
    description:
      'Process role. `all`: API, schedules and runs in one process. `api`: the API only; runs go to the BullMQ queue in Redis. `worker`: executes queued runs, fires schedules, runs retention (serves only /health and /metrics). `api` and `worker` need REDIS_URL.',
  },
  TENANTFLOW_WORKER_CONCURRENCY: {
    kind: 'int',
    group: 'scale-out',
    default: '32',
    min: 1,
    max: 1000,
    description: 'Runs one `worker` process executes at once.',
  },
  TENANTFLOW_RECOVERY_INTERVAL: {
    kind: 'duration_ms',
    group: 'scale-out',
    default: '30000',
    description:
      'How often a process looks for runs left unfinished by a dead process (a process is judged dead when its lock is free on two consecutive sweeps) and re-queues queued runs whose job was lost.',
  },
  TENANTFLOW_TRUST_PROXY: {
    kind: 'string',
    group: 'server',
    default: 'false',
    description:
      'Which immediate peers are trusted proxies whose X-Forwarded-For is believed (Express trust-proxy: "false", "loopback", "10.0.0.0/8,fd00::/8", a hop count). Default false: the client address is the socket peer; set it behind a reverse proxy or load balancer.',
  },
  TENANTFLOW_SHUTDOWN_TIMEOUT: {
    kind: 'duration_ms',
    group: 'server',
    default: '8000',
    min: 0,
    description:
      'How long SIGTERM waits for in-flight requests, and a `worker` for its runs in progress (ms); runs still going then end `failed` with a reason.',
  },
  DATABASE_URL: {
    kind: 'url',
    group: 'database',
    sensitive: true,
    description: 'External PostgreSQL. Unset: an embedded PostgreSQL is started under the data directory.',
  },
  TENANTFLOW_DATABASE_APP_URL: {
    kind: 'url',
    group: 'database',
    sensitive: true,
    description:
      'Login for tenant queries: a role that is (or is a member of) tenantflow_app and nothing more, so even injected SQL cannot leave row-level security. Unset: DATABASE_URL switched into tenantflow_app (the embedded database always uses its own runtime login).',
  },
  TENANTFLOW_DATA_DIR: {
    kind: 'string',
    group: 'database',
    default: './data',
    description: 'Where the embedded PostgreSQL keeps its files.',
  },
  TENANTFLOW_DB_POOL_SIZE: {
    kind: 'int',
    group: 'database',
    default: '10',
    min: 1,
    max: 500,
    description: 'Connections per pool (the API uses one tenant pool and one small system pool).',
  },
  REDIS_URL: {
    kind: 'url',
    group: 'scale-out',
    sensitive: true,
    description:
      'Redis for shared rate limits, replay caches, the cluster bus and queues across instances. Unset: PostgreSQL and memory.',
  },
  TENANTFLOW_REDIS_KEY_PREFIX: {
    kind: 'string',
    group: 'scale-out',
    description:
      'Prefix added to every Redis key Tenantflow writes (rate limits, replay caches, sign-in state; e.g. "acme:"), so several installations can share one Redis. The instances of one installation must use the same prefix. Pub/sub channels are not prefixed.',
  },
  TENANTFLOW_ENCRYPTION_KEY: {
    kind: 'string',
    group: 'security',
    sensitive: true,
    description:
      'Base64 32-byte master key for credentials at rest (one key; `npm run cli -- secret` prints one). Required in production.',
  },
  TENANTFLOW_ENCRYPTION_KEYS: {
    kind: 'string',
    group: 'security',
    sensitive: true,
    description:
      'Master key ring "id:base64,id:base64"; the first encrypts, all decrypt (rotate with `npm run cli -- keys:rotate`).',
  },
  TENANTFLOW_SESSION_TTL: {
    kind: 'duration_ms',
    group: 'security',
    default: '43200000',
    min: 1000,
    description: 'Absolute lifetime of a browser session (ms, default 12 h).',
  },
  TENANTFLOW_EMBED_SESSION_TTL: {
    kind: 'duration_ms',
    group: 'security',
    default: '3600000',
    min: 1000,
    max: 86400000,
    description: 'Lifetime of an embedded session opened with an embed token (ms, default 1 h).',
  },
  TENANTFLOW_SESSION_IDLE_TIMEOUT: {
    kind: 'duration_ms',
    group: 'security',
    default: '1800000',
    min: 1000,
    description: 'A browser session unused for this long ends (ms, default 30 min).',
  },
  TENANTFLOW_BODY_LIMIT: {
    kind: 'bytes',
    group: 'limits',
    default: '1048576',
    min: 1024,
    description: 'Largest accepted request body in bytes (413 above).',
  },
  TENANTFLOW_RUN_MAX_CONCURRENT: {
    kind: 'int',
    group: 'limits',
    default: '100',
    min: 1,
    max: 100000,
    description: 'Runs one organization may have in progress at once (429 above).',
  },
  TENANTFLOW_RUN_MAX_PER_MINUTE: {
    kind: 'int',
    group: 'limits',
    default: '0',
    min: 0,
    max: 10000000,
    description:
      'Runs one organization may start per minute, across all processes (429 with Retry-After above; 0: no limit). The platform operator may set a per-org value (`limits.maxRunsPerMinute`).',
  },
  TENANTFLOW_RUN_MAX_QUEUED: {
    kind: 'int',
    group: 'limits',
    default: '1000',
    min: 1,
    max: 1000000,
    description:
      'Queued runs one organization may have waiting for a worker (`api` mode; 429 with Retry-After above). Runs are taken fairly: an org with fewer queued runs goes first.',
  },
  TENANTFLOW_RUN_MAX_STEPS: {
    kind: 'int',
    group: 'limits',
    default: '1000',
    min: 1,
    max: 1000000,
    description: 'Most steps (node attempts) in one run.',
  },
  TENANTFLOW_RUN_MAX_DURATION: {
    kind: 'duration_ms',
    group: 'limits',
    default: '300000',
    min: 100,
    description: 'Longest a run may take before it ends timed_out (ms).',
  },
  TENANTFLOW_RUN_RETENTION_DAYS: {
    kind: 'int',
    group: 'limits',
    default: '30',
    min: 1,
    max: 3650,
    description:
      'Days a finished run (and its steps) is kept; the platform operator may set another value per org. In progress runs are never deleted.',
  },
  TENANTFLOW_STEP_OUTPUT_LIMIT: {
    kind: 'bytes',
    group: 'limits',
    default: '1048576',
    min: 1024,
    description: 'Stored size of one step output; larger outputs are kept as a truncated preview.',
  },
  TENANTFLOW_SANDBOX_TIMEOUT: {
    kind: 'duration_ms',
    group: 'limits',
    default: '5000',
    min: 10,
    description: 'Wall-clock limit of one code node or expression (ms).',
  },
  TENANTFLOW_SANDBOX_MEMORY_MB: {
    kind: 'int',
    group: 'limits',
    default: '64',
    min: 8,
    max: 4096,
    description: 'Memory limit of a sandbox isolate (MiB).',
  },
  TENANTFLOW_SANDBOX_PROCESSES: {
    kind: 'int',
    group: 'limits',
    default: '2',
    min: 1,
    max: 64,
    description: 'Sandbox host processes (isolates run there, never in the server process).',
  },
  TENANTFLOW_SANDBOX_ISOLATES_PER_ORG: {
    kind: 'int',
    group: 'limits',
    default: '4',
    min: 1,
    max: 256,
    description: 'Sandbox calls one organization may run at once; more wait in a queue.',
  },
  TENANTFLOW_WEBHOOK_WAIT_TIMEOUT: {
    kind: 'duration_ms',
    group: 'limits',
    default: '30000',
    min: 100,
    description:
      'How long a waiting webhook holds the caller before 504 run_still_running (ms), unless the trigger sets one.',
  },
  TENANTFLOW_WEBHOOK_RATE_LIMIT: {
    kind: 'int',
    group: 'limits',
    default: '6000',
    min: 1,
    description:
      "Requests a minute to one flow's webhook when its trigger sets no `rateLimit` of its own (shared by all instances with REDIS_URL).",
  },
  TENANTFLOW_FLOW_MAX_DEFINITION_BYTES: {
    kind: 'bytes',
    group: 'limits',
    default: '1048576',
    min: 1024,
    description: 'Largest flow definition (draft or version) in bytes of JSON (413 above).',
  },
  TENANTFLOW_FLOW_MAX_NODES: {
    kind: 'int',
    group: 'limits',
    default: '500',
    min: 1,
    max: 100000,
    description: 'Most nodes in one flow definition (422 above).',
  },
  TENANTFLOW_API_RATE_LIMIT: {
    kind: 'int',
    group: 'limits',
    default: '1200',
    min: 1,
    description:
      'Management API requests a minute per credential: API key, platform key, signed-in user (all their browser sessions) or embedded user (shared by all instances with REDIS_URL).',
  },
  TENANTFLOW_PUBLIC_RATE_LIMIT: {
    kind: 'int',
    group: 'limits',
    default: '300',
    min: 1,
    description:
      'Requests a minute per client address to routes reachable without a credential (SSO starts and callbacks, OAuth2 callbacks, embed session exchange). Webhooks have their own per-flow limits.',
  },
  TENANTFLOW_API_KEYS_PER_ORG: {
    kind: 'int',
    group: 'limits',
    default: '100',
    min: 1,
    max: 100000,
    description: 'Most active (not revoked, not expired) API keys per organization (409 api_key_limit_reached above).',
  },
  TENANTFLOW_AUTH_FAILURE_LIMIT: {
    kind: 'int',
    group: 'limits',
    default: '20',
    min: 1,
    description: 'Failed authentications a minute per client address.',
  },
  TENANTFLOW_PLUGINS: {
    kind: 'string',
    group: 'server',
    description:
      'Enabled plugins, comma-separated: folder names under plugins/, npm package names, or paths. None by default.',
  },
  TENANTFLOW_PLUGINS_VERIFY_INTERVAL: {
    kind: 'duration_ms',
    group: 'server',
    default: '10000',
    min: 100,
    description:
      "How often the plugins' required tables are checked again (ms); a restored table makes the server ready without a restart.",
  },
  TENANTFLOW_SECRETS_ENV_PREFIX: {
    kind: 'string',
    group: 'security',
    description:
      'Environment variables an org\'s `env` secret provider may read: only names starting with this prefix (e.g. TF_ORG_SECRET_), which the reference names without it. Empty: env providers refuse every read. Must end with "_" and not start with TENANTFLOW_ nor prefix any other setting.',
  },
  TENANTFLOW_SECRETS_AWS_DEFAULT_CHAIN: {
    kind: 'bool',
    group: 'security',
    default: 'false',
    description:
      "Let `aws` secret providers without static credentials use the server's default AWS credential chain (instance role, environment). Off: every org must bring its own keys, so no org can read secrets with the platform's identity.",
  },
  TENANTFLOW_SECRETS_CACHE_TTL: {
    kind: 'duration_ms',
    group: 'limits',
    default: '60000',
    min: 0,
    description:
      'How long a resolved secret is reused for the same org (ms); 0 disables the cache (one provider call per reference per run).',
  },
  TENANTFLOW_SECRETS_TIMEOUT: {
    kind: 'duration_ms',
    group: 'limits',
    default: '5000',
    min: 100,
    description: 'Longest one secret-provider call may take before the node fails with secret_unavailable (ms).',
  },
  LOG_LEVEL: {
    kind: 'enum',
    group: 'logging',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'pino log level.',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    kind: 'url',
    group: 'observability',
    description:
      'OpenTelemetry collector base URL (OTLP/HTTP, JSON); traces go to <url>/v1/traces. Unset (and no traces endpoint): tracing is off.',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    kind: 'url',
    group: 'observability',
    description:
      'Full OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT.',
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    kind: 'string',
    group: 'observability',
    sensitive: true,
    description:
      'Headers sent with every OTLP export, `key=value` pairs separated by commas (e.g. a collector API key).',
  },
  OTEL_SERVICE_NAME: {
    kind: 'string',
    group: 'observability',
    default: 'tenantflow',
    description: 'The `service.name` resource attribute of exported spans.',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
