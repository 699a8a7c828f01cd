import { describe, expect, it } from 'vitest';
import type { ReplenishmentPlanLine } from '../../../contract/http.ts';
import { planToCsv } from './replenishment-plan.ts';

const line: ReplenishmentPlanLine = {
  sku: 'CP-1',
  name: 'Glazed, "classic"',
  factoryId: 'f1',
  reorderPolicy: 'adaptive',
  stock: 12,
  onOrder: 0,
  demandPerSecond: 0.1234567891,
  demandStdDev: 0,
  leadTimeS: 40,
  leadTimeDeliveries: 3,
  effectiveReorderPoint: 7,
  orderQuantity: 30,
  suggestedReorderPoint: 7,
  suggestedOrderQuantity: 30,
  orderNow: false,
  projectedStockOutAt: null,
};

describe('planToCsv', () => {
  it('writes a header and one quoted, CRLF-terminated line per product', () => {
    const csv = planToCsv([line]);
    const [header, first, end] = csv.split('\r\n');
    expect(header).toBe(
      'sku,name,factoryId,reorderPolicy,stock,onOrder,demandPerSecond,demandStdDev,leadTimeS,leadTimeDeliveries,' +
        'effectiveReorderPoint,orderQuantity,suggestedReorderPoint,suggestedOrderQuantity,orderNow,projectedStockOutAt',
    );
    expect(first).toBe('CP-1,"Glazed, ""classic""",f1,adaptive,12,0,0.123457,0,40,3,7,30,7,30,false,');
    expect(end).toBe('');
  });

  it('defuses a name a spreadsheet would run as a formula', () => {
    const csv = planToCsv([{ ...line, name: '=HYPERLINK("x")' }]);
    expect(csv.split('\r\n')[1]).toContain(`"'=HYPERLINK(""x"")"`);
  });
});
