import { type MethodCall, request } from './api';
import type { JmapConn } from './mail-sync';
import type { JmapSession } from './session';
import type { JmapHttp } from './transport';

type Results<C extends MethodCall<unknown>[]> = {
  [K in keyof C]: C[K] extends MethodCall<infer T> ? T : never;
};

/**
 * The sync core's connection over one session: every call goes to the session's apiUrl, and an
 * answer whose `sessionState` differs from the session's `state` (RFC 8620 §3.4) marks the
 * session stale, so the watcher reads it again (new apiUrl, push URLs) before the next round.
 */
export function sessionConn(http: JmapHttp, session: JmapSession, onStale: () => void): JmapConn {
  return {
    accountId: session.accountId,
    maxObjectsInGet: session.maxObjectsInGet,
    async call<C extends MethodCall<unknown>[]>(calls: [...C]): Promise<Results<C>> {
      const answer = await request(http, session, calls);
      if (answer.sessionState !== undefined && answer.sessionState !== session.state) onStale();
      return answer.results as Results<C>;
    },
  };
}
