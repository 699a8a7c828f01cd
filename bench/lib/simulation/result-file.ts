import type { SimulationResult } from './simulation.ts';

/**
 * The result as stored: indented, but each series on one line, so the file stays readable and a few
 * thousand samples do not become a few thousand lines.
 */
export function resultJson(result: SimulationResult): string {
  const series = new Map<string, string>();
  const text = JSON.stringify(
    result,
    (_key, value) => {
      if (!Array.isArray(value) || !Array.isArray(value[0])) return value;
      const marker = `@series-${series.size}@`;
      series.set(marker, JSON.stringify(value));
      return marker;
    },
    2,
  );
  return `${text.replace(/"(@series-\d+@)"/g, (_, marker: string) => series.get(marker)!)}\n`;
}
