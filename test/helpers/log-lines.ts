import { Writable } from 'node:stream';

/** A pino destination that keeps every line written to it. */
export function logCapture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter((line) => line.length > 0));
      done();
    },
  });
  return { stream, lines };
}

/**
 * The keys that appear more than once in one object of a JSON text, as dotted paths (`JSON.parse` keeps
 * the last silently, so it cannot tell). Throws if the text is not JSON.
 */
export function duplicateKeys(text: string): string[] {
  JSON.parse(text);
  const duplicates: string[] = [];
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        const key = string();
        if (seen.has(key)) duplicates.push(`${path}${key}`);
        seen.add(key);
        space();
        i++; // ':'
        value(`${path}${key}.`);
        space();
        if (text[i++] === '}') return;
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(path);
        space();
        if (text[i++] === ']') return;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
  };
  value('');
  return duplicates;
}
