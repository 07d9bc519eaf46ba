import type { Logger } from 'pino';
import type { Setup } from './disposers';

/** SIGHUP reloads, SIGTERM and SIGINT stop; disposing removes the handlers. */
export function setupSignals(
  log: Logger,
  on: { reload: () => Promise<unknown>; stop: () => void },
): Setup<void> {
  const onSighup = () => {
    log.info('SIGHUP: reloading the config');
    on.reload().catch(() => {});
  };
  const onTerm = (sig: NodeJS.Signals) => {
    log.info(`${sig}: shutting down`);
    on.stop();
  };
  process.on('SIGHUP', onSighup);
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  return {
    value: undefined,
    dispose: () => {
      process.off('SIGHUP', onSighup);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
    },
  };
}
