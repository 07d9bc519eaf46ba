import type { OptionsAnswer } from '../transport';
import { type EasVersion, negotiateVersion } from '../versions';

/** What OPTIONS needs: the HTTP edge's `options()` (not WBXML, so not an EasConnection). */
export interface OptionsConnection {
  options(signal?: AbortSignal): Promise<OptionsAnswer>;
}

export interface OptionsResult {
  version: EasVersion;
  serverVersions: string[];
  commands: string[];
}

/**
 * OPTIONS (MS-ASHTTP 2.2.3): reads `MS-ASProtocolVersions` and picks the highest version both
 * sides speak. A pinned version (config `protocolVersion`) is checked against the list instead.
 */
export async function run(
  conn: OptionsConnection,
  params: { pinned?: EasVersion; signal?: AbortSignal } = {},
): Promise<OptionsResult> {
  const answer = await conn.options(params.signal);
  const version =
    params.pinned && (answer.versions.length === 0 || answer.versions.includes(params.pinned))
      ? params.pinned
      : negotiateVersion(answer.versions);
  return { version, serverVersions: answer.versions, commands: answer.commands };
}
