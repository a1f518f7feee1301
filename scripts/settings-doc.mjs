// Prints the settings registry as the config example (`env`) or a Markdown table (`md`).
// Usage: node scripts/settings-doc.mjs env > config/tenantflow.env.example
const { SETTINGS } = await import('../dist/src/core/config/settings.js');
const mode = process.argv[2] ?? 'env';
const groups = [...new Set(Object.values(SETTINGS).map((s) => s.group))];
if (mode === 'md') {
  console.log('| Setting | Default | Description |\n|---|---|---|');
  for (const [name, s] of Object.entries(SETTINGS)) {
    const extra = s.values ? ` One of: ${s.values.join(', ')}.` : '';
    console.log(
      `| \`${name}\`${s.sensitive ? ' (secret; also `_FILE`)' : ''} | ${s.default !== undefined ? `\`${s.default}\`` : '—'} | ${s.description}${extra} |`,
    );
  }
} else {
  console.log('# Tenantflow configuration (environment variables). Every setting is optional; defaults shown.');
  console.log(
    '# Any secret setting may instead be given as <NAME>_FILE=/path/to/file (e.g. Docker/Kubernetes secrets).',
  );
  console.log('# Unknown TENANTFLOW_* variables stop the start: typos never pass silently.');
  for (const g of groups) {
    console.log(`\n## ${g}`);
    for (const [name, s] of Object.entries(SETTINGS).filter(([, x]) => x.group === g)) {
      console.log(`# ${s.description}${s.values ? ` One of: ${s.values.join(', ')}.` : ''}`);
      console.log(`# ${name}=${s.default ?? ''}`);
    }
  }
}
