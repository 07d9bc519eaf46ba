import type { SecretSource } from './types';
import { SecretError } from './errors';

/**
 * A secret from an environment variable (containers, systemd `Environment=`/`LoadCredential`).
 * Read at each use, so a restarted unit with a new value needs no config change.
 */
export function envSecret(
  accountId: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): SecretSource {
  return {
    async get() {
      const value = env[name];
      if (value === undefined)
        throw new SecretError('SECRET_ERR_ENV_UNSET', accountId, `environment variable ${name} is not set`);
      if (value === '')
        throw new SecretError('SECRET_ERR_EMPTY', accountId, `environment variable ${name} is empty`);
      return value;
    },
  };
}
