import { describe, expect, it } from 'vitest';
import {
  checkTemplateString,
  createNodeTypeRegistry,
  parseTemplate,
  secretReferencesIn,
  validateDefinition,
  type SecretRef,
} from '../../../flows/index.js';
import { compileTemplate, type Piece } from '../template.js';

/**
 * One grammar (issue 12): the validator and the engine read the same templates the same way. Each side's parse is
 * reduced to what it acts on (expressions, secret references, malformed references, an unclosed `{{`), compared with
 * the other side's and with the expected parse.
 */
interface Parse {
  expressions: string[];
  secrets: SecretRef[];
  malformed: number;
  unclosed: boolean;
}

const registry = createNodeTypeRegistry();

/** The validator: the real publish check on a transform field, plus the dependency listing of secret references. */
function validatorParse(template: string): Parse {
  const def = {
    schemaVersion: 1,
    trigger: { type: 'manual' },
    nodes: [{ id: 't', type: 'transform', params: { fields: { f: template } } }],
    edges: [{ from: 'trigger', to: 't' }],
  };
  const { issues } = validateDefinition(def, registry, 'publish');
  expect(issues.every((i) => i.path === '$.nodes[0].params.fields.f')).toBe(true);
  expect(checkTemplateString(template, 'p').map((i) => i.message)).toEqual(issues.map((i) => i.message));
  return {
    // The validator's expressions are what its grammar hands it: the same function the engine uses, nothing else.
    expressions: parseTemplate(template).parts.flatMap((p) => (p.kind === 'expression' ? [p.source] : [])),
    secrets: secretReferencesIn(template),
    malformed: issues.filter((i) => /malformed secret reference/.test(i.message)).length,
    unclosed: issues.some((i) => /unclosed/.test(i.message)),
  };
}

/** The engine: the compiled template a run renders. */
function engineParse(template: string): Parse {
  const tpl = compileTemplate(template);
  const parts: (string | Piece)[] =
    tpl.kind === 'literal' ? [tpl.value] : tpl.kind === 'single' ? [tpl.piece] : tpl.parts;
  const pieces = parts.filter((p): p is Piece => typeof p !== 'string');
  return {
    expressions: pieces.filter((p) => !p.secret && !p.malformedSecret).map((p) => p.expr),
    secrets: pieces.flatMap((p) => (p.secret ? [p.secret] : [])),
    malformed: pieces.filter((p) => p.malformedSecret).length,
    // Text the engine leaves alone that still holds a `{{`: an expression it never evaluates.
    unclosed: parts.some((p) => typeof p === 'string' && p.includes('{{')),
  };
}

const parse = (over: Partial<Parse>): Parse => ({
  expressions: [],
  secrets: [],
  malformed: 0,
  unclosed: false,
  ...over,
});

const CASES: [string, Parse][] = [
  ['plain text', parse({})],
  ['{{ input.a }}', parse({ expressions: ['input.a'] })],
  ['a={{ input.a }}, b={{input.b}}', parse({ expressions: ['input.a', 'input.b'] })],
  ['{{ {a: {b: 1}} }}', parse({ expressions: ['{a: {b: 1}}'] })],
  ['x{{ ({ k: { v: input.a } }) }}y', parse({ expressions: ['({ k: { v: input.a } })'] })],
  ['{{ "}}" }}', parse({ expressions: ['"}}"'] })],
  ['{{ \'}}\' + `}}` + "a\\"}}" }} tail', parse({ expressions: ['\'}}\' + `}}` + "a\\"}}"'] })],
  [
    '{{ secrets.vault.kv/stripe#api_key }}',
    parse({ secrets: [{ provider: 'vault', path: 'kv/stripe', key: 'api_key' }] }),
  ],
  ['Bearer {{ secrets.vault.kv/stripe }}', parse({ secrets: [{ provider: 'vault', path: 'kv/stripe' }] })],
  [
    '{{secrets.aws.prod.db}}:{{ input.a }}',
    parse({ secrets: [{ provider: 'aws', path: 'prod.db' }], expressions: ['input.a'] }),
  ],
  ['{{ secrets.vault }}', parse({ malformed: 1 })],
  ['{{ secrets.vault.kv/../x#k }}', parse({ malformed: 1 })],
  ['{{ secrets.vault.x# }}', parse({ malformed: 1 })],
  ['{{ secrets["vault"].x }}', parse({ malformed: 1 })],
  ['{{ "}}" + secrets.vault.x }}', parse({ malformed: 1 })],
  ['{{ input.a', parse({ unclosed: true })],
  ['{{ input.a }} and {{ input.b', parse({ expressions: ['input.a'], unclosed: true })],
  ['{{ "}} }}', parse({ unclosed: true })],
  ['{{ {a: 1 }}', parse({ unclosed: true })],
  ['a }} b {{ input.a }}}', parse({ expressions: ['input.a'] })],
];

describe('template grammar parity: validator and engine', () => {
  it.each(CASES)('%s', (template, expected) => {
    const validator = validatorParse(template);
    const engine = engineParse(template);
    expect(engine).toEqual(validator);
    expect(engine).toEqual(expected);
  });
});
