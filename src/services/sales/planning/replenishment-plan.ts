import type { Product, ReplenishmentPlanLine } from '../../../contract/http.ts';

/** A product's line of the replenishment plan: what it holds, what is coming, what the plan suggests. */
export function toPlanLine(product: Product): ReplenishmentPlanLine {
  const { planning } = product;
  const onOrder = product.replenishment?.quantity ?? 0;
  return {
    sku: product.sku,
    name: product.name,
    factoryId: product.factoryId,
    reorderPolicy: product.reorderPolicy,
    stock: product.stock,
    onOrder,
    demandPerSecond: planning.demandPerSecond,
    demandStdDev: planning.demandStdDev,
    leadTimeS: planning.leadTimeS,
    leadTimeDeliveries: planning.leadTimeDeliveries,
    effectiveReorderPoint: planning.effectiveReorderPoint,
    orderQuantity: planning.orderQuantity,
    suggestedReorderPoint: planning.suggestedReorderPoint,
    suggestedOrderQuantity: planning.suggestedOrderQuantity,
    orderNow: product.replenishment === null && product.stock <= planning.suggestedReorderPoint,
    projectedStockOutAt: planning.projectedStockOutAt,
  };
}

const COLUMNS = [
  'sku',
  'name',
  'factoryId',
  'reorderPolicy',
  'stock',
  'onOrder',
  'demandPerSecond',
  'demandStdDev',
  'leadTimeS',
  'leadTimeDeliveries',
  'effectiveReorderPoint',
  'orderQuantity',
  'suggestedReorderPoint',
  'suggestedOrderQuantity',
  'orderNow',
  'projectedStockOutAt',
] as const satisfies readonly (keyof ReplenishmentPlanLine)[];

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break. A field that a spreadsheet would
 * run as a formula (starting with =, +, -, @) is prefixed with a quote mark, since names come from
 * operators' input.
 */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = typeof value === 'number' ? String(Number(value.toFixed(6))) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The plan as CSV: a header line, then one line per product, CRLF line ends. */
export function planToCsv(lines: readonly ReplenishmentPlanLine[]): string {
  const rows = [COLUMNS.join(','), ...lines.map((line) => COLUMNS.map((c) => csvField(line[c])).join(','))];
  return `${rows.join('\r\n')}\r\n`;
}
