/** Deepest bracket nesting of a JSON text, ignoring brackets inside strings. Linear, no parse. */
export function jsonDepth(buf: Buffer): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Deeply nested documents exhaust validator and transformer stacks: refuse them before parsing. */
export const MAX_JSON_DEPTH = 128;

export function assertJsonDepth(buf: Buffer): void {
  if (jsonDepth(buf) > MAX_JSON_DEPTH) {
    throw Object.assign(new Error('JSON nested too deeply'), {
      status: 400,
      statusCode: 400,
      type: 'entity.too.deep',
      expose: true,
    });
  }
}
