import { flushCompileCache } from 'node:module';
import {
  adminTokenForDisplay,
  ConfigError,
  type LocalConfig,
  loadConfig,
  loadDotEnv,
} from '../../platform/local/config.ts';
import { tuneProcess } from '../../platform/local/process-tuning/index.ts';
import { createLogger } from '../../platform/logger.ts';
import { startSystem } from './system.ts';

// `npm start` (scripts/start.sh, which sets what a process takes only at its start): the whole system in
// one process, state under DATA_DIR.
loadDotEnv();
let config: LocalConfig;
try {
  config = await loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
const logger = createLogger(config.logLevel);
tuneProcess({ memoryTrimIntervalMs: config.memoryTrimIntervalMs, logger });
const system = await startSystem(config, logger).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});

// Node writes its compile cache (scripts/start.sh) at exit; written now, a start that is killed later
// leaves it for the next one too.
flushCompileCache();

const lines = [
  '',
  'Donut-States is running',
  `  gateway           ${system.url}   (try: curl ${system.url}/products)`,
  `  health            ${system.url}/health`,
  `  factory           ${system.factoryUrl}${system.simulator ? '   (built-in simulator)' : ''}`,
  `  SNS/SQS emulator  ${system.sqsEndpoint}`,
  `  mail (SES sink)   ${system.mail.endpoint}/_mail   (stored in DATA_DIR/mail)`,
  `  data directory    ${config.dataDir}`,
  // Whole only when just generated: start output often ends up in logs others can read.
  `  admin token       ${adminTokenForDisplay(config)}`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    system.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
