import { describe, expect, it } from 'vitest';
import { hasExpression, parseSecretReference, parseTemplate, type TemplatePart } from '../index.js';

const expr = (source: string): TemplatePart => ({ kind: 'expression', source });
const text = (value: string): TemplatePart => ({ kind: 'text', text: value });

describe('parseTemplate', () => {
  it.each<[string, TemplatePart[]]>([
    ['plain', [text('plain')]],
    ['{{ a }}', [expr('a')]],
    ['x{{a}}y{{ b }}', [text('x'), expr('a'), text('y'), expr('b')]],
    ['{{ {a: {b: 1}} }}', [expr('{a: {b: 1}}')]],
    ['{{ \'}}\' + "}}" + `}}` }}', [expr('\'}}\' + "}}" + `}}`')]],
    ["{{ 'it\\'s }}' }}", [expr("'it\\'s }}'")]],
    ['{{ a }}}', [expr('a'), text('}')]],
    ['a }} b', [text('a }} b')]],
    ['{{a}}{{b}}', [expr('a'), expr('b')]],
  ])('splits %j', (input, parts) => {
    expect(parseTemplate(input)).toEqual({ parts, unclosedAt: -1 });
  });

  it.each<[string, number]>([
    ['{{ a', 0],
    ['x {{ a }} y {{ b', 12],
    ['{{ "}} }}', 0],
    ['{{ {a: 1 }}', 0],
  ])('keeps an unclosed {{ as text and says where it starts: %j', (input, at) => {
    const { parts, unclosedAt } = parseTemplate(input);
    expect(unclosedAt).toBe(at);
    const last = parts.at(-1);
    expect(last?.kind === 'text' && last.text.endsWith(input.slice(at))).toBe(true);
  });
});

describe('secret references', () => {
  it.each([
    ['{{ secrets.vault.kv/stripe#api_key }}', { provider: 'vault', path: 'kv/stripe', key: 'api_key' }],
    ['{{secrets.vault.stripe#api_key}}', { provider: 'vault', path: 'stripe', key: 'api_key' }],
    ['{{ secrets.vault.kv/stripe }}', { provider: 'vault', path: 'kv/stripe' }],
    ['{{ secrets.aws.prod.db-password }}', { provider: 'aws', path: 'prod.db-password' }],
    ['  {{ secrets.env.STRIPE_KEY }} ', { provider: 'env', path: 'STRIPE_KEY' }],
  ])('reads %s', (value, ref) => {
    expect(parseSecretReference(value)).toEqual(ref);
    expect(parseTemplate(value.trim()).parts).toEqual([
      { kind: 'secret', source: value.trim().slice(2, -2).trim(), ref },
    ]);
  });

  it.each([
    '{{ secrets.vault }}',
    '{{ secrets.vault. }}',
    '{{ secrets.vault.kv//x }}',
    '{{ secrets.vault.kv/../x#k }}',
    '{{ secrets.vault../x }}',
    '{{ secrets.vault./x }}',
    '{{ secrets.vault.kv/x/ }}',
    '{{ secrets.vault.x# }}',
    '{{ secrets.vault.x#a#b }}',
    '{{ secrets.vault.x#k/y }}',
    '{{ secrets["vault"] }}',
    '{{ secrets?.vault.x }}',
    '{{ secrets.vault.x + 1 }}',
    '{{ "}}" + secrets.vault.x }}',
    '{{ secrets.-x.y }}',
  ])('calls %s malformed', (value) => {
    expect(parseSecretReference(value)).toBeNull();
    expect(parseTemplate(value).parts.map((p) => p.kind)).toEqual(['malformed-secret']);
  });

  it('leaves names that merely contain "secrets" alone, and needs the whole value to be one reference', () => {
    expect(parseTemplate('{{ mysecrets.x }}{{ a.secrets.x }}').parts.map((p) => p.kind)).toEqual([
      'expression',
      'expression',
    ]);
    expect(parseSecretReference('Bearer {{ secrets.vault.x#k }}')).toBeNull();
  });
});

describe('hasExpression', () => {
  it.each<[string, boolean]>([
    ['plain', false],
    ['ab{{cd', false],
    ['{{ "}} x', false],
    ['x }} {{', false],
    ['{{ a }}', true],
    ['x {{ secrets.vault.k }}', true],
    ['{{ secrets.vault }}', true],
    ['{{ a }} and {{ b', true],
  ])('%j → %s', (text, expected) => {
    expect(hasExpression(text)).toBe(expected);
  });
});
