import { EasError } from './errors';

/** Protocol versions we speak, best first (issue #3: Exchange Online accepts only 16.1). */
export const SUPPORTED_VERSIONS = ['16.1', '16.0', '14.1', '14.0', '12.1'] as const;
export type EasVersion = (typeof SUPPORTED_VERSIONS)[number];

/**
 * Parses a comma-separated OPTIONS header: `MS-ASProtocolVersions` (MS-ASHTTP 2.2.2.1.2.5) or
 * `MS-ASProtocolCommands`.
 */
export function parseVersionList(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The highest version both sides speak; throws EAS_ERR_NO_COMMON_VERSION when there is none. */
export function negotiateVersion(serverVersions: readonly string[]): EasVersion {
  for (const v of SUPPORTED_VERSIONS) if (serverVersions.includes(v)) return v;
  throw new EasError(
    'EAS_ERR_NO_COMMON_VERSION',
    `The server speaks ActiveSync ${serverVersions.join(', ') || '(none listed)'}; Tidings needs 12.1 or later`,
    { command: 'OPTIONS', serverText: serverVersions.join(',') },
  );
}

/** Numeric comparison of two versions ("14.1" ≥ "12.1"). */
export function atLeast(version: string, min: string): boolean {
  return Number.parseFloat(version) >= Number.parseFloat(min);
}
