import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import type { TidingsHub } from '../hub/hub';
import type { SecretOptions } from '../secrets';
import { secretFromRef } from '../secrets';
import { createConfiguredSinks } from '../sinks/configured';
import type { Notifier } from '../sinks/desktop';
import type { Setup } from './disposers';

export interface SinksDeps {
  hub: TidingsHub;
  log: Logger;
  secrets?: SecretOptions;
  desktop?: Notifier | false;
  /** The tray shows its own notifications: a person must never see a change twice. */
  isTraySubscribed: () => boolean;
}

export interface Sinks {
  /** Replaces every configured sink with those of `config.notifications.sinks`. */
  rebuild(config: Config): Promise<void>;
}

/** The sinks of `notifications.sinks` on the hub; disposing removes and closes them. */
export function setupSinks(deps: SinksDeps): Setup<Sinks> {
  let removers: (() => void)[] = [];
  let closers: (() => Promise<void>)[] = [];
  // Building is async (the hook and webhook modules load on first use): rebuilds build one
  // after another, so their sinks reach the hub in call order, and none after dispose.
  let building: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const clear = async () => {
    disposed = true;
    for (const remove of removers) remove();
    const close = closers;
    removers = [];
    closers = [];
    await Promise.all(close.map((c) => c().catch(() => {})));
  };
  return {
    value: {
      rebuild: async (c) => {
        // The new sinks go on the hub in the same turn the old ones come off, and the old ones
        // finish (a running hook, up to its timeout) afterwards: signals handed on meanwhile
        // must reach the durable sinks' ledgers (issue 13 §7), not fall into the gap.
        const built = building.then(() =>
          createConfiguredSinks(c.notifications.sinks, {
            log: deps.log,
            isTraySubscribed: deps.isTraySubscribed,
            secretFor: (owner, ref) => secretFromRef(owner, ref, deps.secrets),
            ...(deps.desktop !== undefined ? { notifier: deps.desktop } : {}),
          }),
        );
        building = built.catch(() => {});
        const sinks = await built;
        if (disposed) {
          await Promise.all(sinks.map((sink) => sink.close?.().catch(() => {})));
          return;
        }
        const old = closers;
        for (const remove of removers) remove();
        removers = sinks.map((sink) => deps.hub.addSink(sink));
        closers = sinks.flatMap((sink) => (sink.close ? [() => sink.close!()] : []));
        await Promise.all(old.map((close) => close().catch(() => {})));
      },
    },
    dispose: clear,
  };
}
