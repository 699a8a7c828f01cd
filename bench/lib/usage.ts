import type { SystemProcess } from './system-process.ts';

/** What a measured stretch cost: CPU of the system and of the load generator, and the system's memory. */
export interface SaleUsage {
  /**
   * CPU time over the stretch: the system's process (all its threads), per confirmed order, and the
   * benchmark's own (the load generator), which shares the same cores.
   */
  cpu: { systemMs: number; perConfirmedMs: number; loadGeneratorMs: number; byThreadMs: Record<string, number> };
  /** Highest resident memory sampled during the stretch. */
  saleRssMb: number;
  /** Highest resident memory since start, including creating the databases (initdb) in a fresh DATA_DIR. */
  peakRssMb: number;
}

/**
 * Starts measuring the system's CPU (per thread) and memory, and the load generator's CPU; `stop`
 * ends the stretch and charges the system's CPU to the orders it confirmed.
 */
export async function measureUsage(system: SystemProcess): Promise<{ stop(confirmed: number): Promise<SaleUsage> }> {
  let saleRssMb = await system.rssMb();
  const systemCpuBefore = await system.cpuMs();
  const threadCpuBefore = await system.cpuMsByThread();
  const loadGeneratorCpuBefore = process.cpuUsage();
  const sampler = setInterval(() => {
    system.rssMb().then(
      (mb) => (saleRssMb = Math.max(saleRssMb, mb)),
      () => {},
    );
  }, 100);
  return {
    async stop(confirmed) {
      const systemMs = (await system.cpuMs()) - systemCpuBefore;
      const threadCpuAfter = await system.cpuMsByThread();
      const loadGeneratorCpu = process.cpuUsage(loadGeneratorCpuBefore);
      clearInterval(sampler);
      saleRssMb = Math.max(saleRssMb, await system.rssMb());
      return {
        cpu: {
          systemMs,
          perConfirmedMs: systemMs / Math.max(1, confirmed),
          loadGeneratorMs: (loadGeneratorCpu.user + loadGeneratorCpu.system) / 1000,
          byThreadMs: Object.fromEntries(
            Object.entries(threadCpuAfter).map(([name, ms]) => [name, ms - (threadCpuBefore[name] ?? 0)]),
          ),
        },
        saleRssMb,
        peakRssMb: await system.peakRssMb(),
      };
    },
  };
}
