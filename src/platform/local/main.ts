import { flushCompileCache } from 'node:module';
import type { LocalConfig } from './config.ts';
import { startMemoryTrim } from './memory-trim.ts';
import { glibcVersion, leaveWorkersTheirOwnLimits, restartWithStartSettings } from './start-settings.ts';

// `npm start`: the whole system in one process, state under DATA_DIR. Memory settings take effect only
// in a new process, so that comes first and the system is loaded after it.
restartWithStartSettings();
leaveWorkersTheirOwnLimits();
const [{ createLogger }, { adminTokenForDisplay, ConfigError, loadConfig, loadDotEnv }, { startSystem }] =
  await Promise.all([import('../logger.ts'), import('./config.ts'), import('./system.ts')]);

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
const memoryTrim = startMemoryTrim({ intervalMs: config.memoryTrimIntervalMs, glibcVersion: glibcVersion() });
if ('trim' in memoryTrim) {
  logger.info(
    { intervalMs: config.memoryTrimIntervalMs },
    'freed memory handed back to the operating system (malloc_trim)',
  );
} else {
  logger.info({ reason: memoryTrim.unavailable }, 'freed memory not handed back (no malloc_trim)');
}
const system = await startSystem(config, logger).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});

// Node writes its compile cache (start-settings.ts) at exit; written now, a start that is killed later
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
