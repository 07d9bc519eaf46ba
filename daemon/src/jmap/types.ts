/** Wire types shared by the method files (RFC 8620 §1.2–1.6, §3). */

export type Id = string;
export type State = string;

/** A method call or response: [name, arguments, call id] (RFC 8620 §3.2). */
export type Invocation = [string, Record<string, unknown>, string];

/** Capability URIs this client uses. */
export const CAP_CORE = 'urn:ietf:params:jmap:core';
export const CAP_MAIL = 'urn:ietf:params:jmap:mail';
export const CAP_WEBSOCKET = 'urn:ietf:params:jmap:websocket';

/** A result reference (RFC 8620 §3.7): take an argument from an earlier call's answer. */
export interface ResultReference {
  resultOf: string;
  name: string;
  path: string;
}

/** The standard /changes answer (RFC 8620 §5.2). */
export interface ChangesResponse {
  accountId: Id;
  oldState: State;
  newState: State;
  hasMoreChanges: boolean;
  created: Id[];
  updated: Id[];
  destroyed: Id[];
}
