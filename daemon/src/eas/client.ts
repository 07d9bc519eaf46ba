import { decode, encode, int, WbxmlError, type WbxmlElement } from '@tidings/wbxml/core';
import { COMMANDS } from './commands';
import type { PingRequest, PingResult } from './commands/ping';
import type { ProvisionResult } from './commands/provision';
import type { DeviceInformation } from './commands/settings';
import type { SyncCollectionResult, SyncRequest } from './commands/sync';
import type { FolderSyncResult } from './commands/folder-sync';
import type { OptionsResult } from './commands/options';
import type { EasConnection, EasLog, SendOptions } from './connection';
import { EasError } from './errors';
import type { EasHttp } from './transport';
import type { EasVersion } from './versions';

/** Re-provision rounds per command before giving up (issue #3: "with a cap — never a loop"). */
export const MAX_PROVISION_ROUNDS = 2;

export interface EasClientOptions {
  http: Pick<EasHttp, 'post' | 'options'>;
  version: string;
  policyKey?: string;
  log: EasLog;
  deviceInfo: DeviceInformation;
  /** Persists a provisioning outcome (policy key, unmet policies). */
  onProvisioned?: (result: ProvisionResult) => void | Promise<void>;
}

/**
 * The thin facade over the command registry: WBXML encode/decode around the HTTP edge, and the
 * re-provisioning rule — HTTP 449 or Status 140–144 runs Provision and retries the command, at
 * most {@link MAX_PROVISION_ROUNDS} times. A wipe order found while provisioning ends the
 * command with EAS_ERR_REMOTE_WIPED.
 */
export class EasClient implements EasConnection {
  readonly log: EasLog;
  #opts: EasClientOptions;
  #version: string;
  #policyKey: string | undefined;

  constructor(opts: EasClientOptions) {
    this.#opts = opts;
    this.log = opts.log;
    this.#version = opts.version;
    this.#policyKey = opts.policyKey;
  }

  get version(): string {
    return this.#version;
  }

  get policyKey(): string | undefined {
    return this.#policyKey;
  }

  /**
   * Sends one command and decodes the answer. Promise chains rather than async functions here:
   * a parked Ping suspends every async frame under the watcher for its whole heartbeat, and at
   * 10 000 accounts each frame costs ~0.3 KB per account (issue 5's scale bench).
   */
  send(
    command: string,
    body: WbxmlElement | undefined,
    opts: SendOptions = {},
  ): Promise<WbxmlElement | undefined> {
    // Encoded once: a retry after re-provisioning resends the same bytes, and a parked Ping
    // holds ~60 bytes instead of its element tree. A small encode() result is a view into a
    // 32 KiB slab shared with other results (wbxml/src/encoder.ts): a Ping parked for its whole
    // heartbeat keeps a copy of its own, so 10 000 parked Pings cannot pin a slab each.
    const bytes = body === undefined ? undefined : encode(body);
    return this.#sendRound(command, command === 'Ping' ? bytes?.slice() : bytes, opts, 0);
  }

  #sendRound(
    command: string,
    body: Uint8Array | undefined,
    opts: SendOptions,
    round: number,
  ): Promise<WbxmlElement | undefined> {
    return this.#sendOnce(command, body, opts).catch((err: unknown) => {
      if (!(err instanceof EasError) || err.code !== 'EAS_ERR_NEEDS_PROVISION' || command === 'Provision')
        throw err;
      if (round >= MAX_PROVISION_ROUNDS) {
        throw new EasError(
          'EAS_ERR_PROVISION_LOOP',
          `${command}: the server still asks for provisioning after ${round} rounds`,
          {
            command,
            ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
            ...(err.easStatus !== undefined ? { easStatus: err.easStatus } : {}),
            cause: err,
          },
        );
      }
      this.log.info({ command, httpStatus: err.httpStatus, easStatus: err.easStatus }, 're-provisioning');
      return this.provision(opts.signal).then(() => this.#sendRound(command, body, opts, round + 1));
    });
  }

  #sendOnce(
    command: string,
    body: Uint8Array | undefined,
    opts: SendOptions,
  ): Promise<WbxmlElement | undefined> {
    return this.#opts.http
      .post(command, body, {
        version: this.#version,
        ...(this.#policyKey !== undefined ? { policyKey: this.#policyKey } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.onResend ? { onResend: opts.onResend } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
      .then((bytes) => this.#answer(command, bytes));
  }

  #answer(command: string, bytes: Uint8Array): WbxmlElement | undefined {
    this.log.debug({ command, version: this.#version, bytes: bytes.length }, 'EAS response');
    if (bytes.length === 0) return undefined;
    let tree: WbxmlElement;
    try {
      // Mail bodies of 1 KiB and more stay UTF-8 until read (docs/wbxml.md, lazy text): the
      // preview reads each once, and a tree of strings would hold ~2x the body bytes.
      tree = decode(bytes, undefined, { lazyTextFrom: 1024 });
    } catch (err) {
      const why = err instanceof WbxmlError ? err.code : 'not WBXML';
      throw new EasError(
        'EAS_ERR_BAD_RESPONSE',
        `${command}: the server's answer is not valid WBXML (${why})`,
        {
          command,
          cause: err,
        },
      );
    }
    const status = int(tree, 'Status');
    // MS-ASCMD 2.2.2: 140–144 in any command's top-level Status ask for (re-)provisioning.
    if (command !== 'Provision' && status !== undefined && status >= 140 && status <= 144) {
      throw new EasError('EAS_ERR_NEEDS_PROVISION', `${command}: provisioning required (Status ${status})`, {
        command,
        easStatus: status,
      });
    }
    return tree;
  }

  /** OPTIONS: negotiates the version and adopts it. */
  async options(pinned?: EasVersion, signal?: AbortSignal): Promise<OptionsResult> {
    const r = await COMMANDS.OPTIONS(this.#opts.http, {
      ...(pinned ? { pinned } : {}),
      ...(signal ? { signal } : {}),
    });
    this.#version = r.version;
    return r;
  }

  /** Provision, both phases; adopts the new policy key. */
  async provision(signal?: AbortSignal): Promise<ProvisionResult> {
    this.#policyKey = undefined;
    const r = await COMMANDS.Provision(this, {
      deviceInfo: this.#opts.deviceInfo,
      ...(signal ? { signal } : {}),
    });
    this.#policyKey = r.policyKey;
    await this.#opts.onProvisioned?.(r);
    if (r.wipe) {
      throw new EasError(
        'EAS_ERR_REMOTE_WIPED',
        `The server ordered a ${r.wipe === 'account' ? 'account-only ' : ''}remote wipe`,
        {
          command: 'Provision',
          serverText: r.wipe,
        },
      );
    }
    return r;
  }

  settings(signal?: AbortSignal): Promise<void> {
    return COMMANDS.Settings(this, { info: this.#opts.deviceInfo, ...(signal ? { signal } : {}) });
  }

  folderSync(syncKey: string, signal?: AbortSignal): Promise<FolderSyncResult> {
    return COMMANDS.FolderSync(this, { syncKey, ...(signal ? { signal } : {}) });
  }

  sync(collections: SyncRequest[], signal?: AbortSignal): Promise<SyncCollectionResult[]> {
    return COMMANDS.Sync(this, { collections, ...(signal ? { signal } : {}) });
  }

  ping(req: PingRequest): Promise<PingResult> {
    return COMMANDS.Ping(this, req);
  }
}
