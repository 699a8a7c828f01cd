import { readFile, writeFile } from 'node:fs/promises';

/**
 * Replaces what stands between `<!-- name:start -->` and `<!-- name:end -->` in a markdown file, so a
 * report (the benchmark, the reliability suite) keeps its section of the README true without hand edits.
 */
export async function replaceSection(file: string, name: string, content: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = await readFile(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} section`);
  await writeFile(file, `${text.slice(0, from + start.length)}\n${content.trim()}\n${text.slice(to)}`);
}
