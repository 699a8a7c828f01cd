import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The README and the docs point only at what the repository holds: a renamed or deleted file, or a
// heading that moved, fails here instead of leaving a reader at a dead end.
const root = path.resolve(import.meta.dirname, '../..');
const markdownFiles = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join('docs', file)),
];
// Paths in code spans that name the repository's own files; placeholders and globs are left alone.
const repositoryPath = /^(?:src|test|bench|docs|scripts|\.ci)\/[^\s<>*{}…]*$/;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!.trim())));
}

function problems(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const found: string[] = [];
  for (const [, target] of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    const [where, anchor] = target!.split('#') as [string, string | undefined];
    const resolved = where === '' ? path.join(root, file) : path.resolve(root, path.dirname(file), where);
    if (!existsSync(resolved)) found.push(`${file}: link to ${target}, which does not exist`);
    else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor))
      found.push(`${file}: link to ${target}, which has no such heading`);
  }
  for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
    if (repositoryPath.test(span!) && !existsSync(path.join(root, span!)))
      found.push(`${file}: mentions ${span}, which does not exist`);
  }
  return found;
}

describe('documentation links', () => {
  it('finds the files it checks', () => {
    expect(markdownFiles).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/performance.md']));
  });

  it.each(markdownFiles)('%s points only at files and headings that exist', (file) => {
    expect(problems(file)).toEqual([]);
  });
});
