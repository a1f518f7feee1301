import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../template/template-parser.js';

const expr = (source: string) => ({ kind: 'expression', source });
const text = (value: string) => ({ kind: 'text', text: value });

describe('parseTemplate', () => {
  it.each([
    ['plain', [text('plain')]],
    ['{{ a }}', [expr(' a ')]],
    ['x{{a}}y{{ b }}', [text('x'), expr('a'), text('y'), expr(' b ')]],
    ['{{ {a: {b: 1}} }}', [expr(' {a: {b: 1}} ')]],
    ["{{ '}}' + \"}}\" + `}}` }}", [expr(" '}}' + \"}}\" + `}}` ")]],
    ["{{ 'it\\'s }}' }}", [expr(" 'it\\'s }}' ")]],
    ['{{ a }}}', [expr(' a '), text('}')]],
    ['{{ a', [text('{{ a')]],
    ['a }} b', [text('a }} b')]],
    ['{{a}}{{b}}', [expr('a'), expr('b')]],
  ])('splits %j', (input, parts) => {
    expect(parseTemplate(input)).toEqual(parts);
  });
});
