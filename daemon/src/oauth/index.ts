export { authorityFor, DEFAULT_SCOPE, endpointsOf } from './endpoints';
export { OAuthError, type OAuthErrorCode } from './errors';
export { signInWithDeviceCode, type DeviceCodeOptions, type DeviceCodePrompt } from './device-code';
export { signInInteractive, type InteractiveSignInOptions } from './interactive';
export type { TokenSet } from './token-endpoint';
export {
  createOAuthTokenProvider,
  type OAuthTokenProviderOptions,
  type TokenProvider,
} from './token-provider';
export {
  GOOGLE_MAIL_SCOPE,
  MICROSOFT_IMAP_SCOPE,
  type OAuthClient,
  type OAuthClientSettings,
  type OAuthProviderId,
  type OAuthUse,
  oauthClientOf,
  providerForHost,
} from './providers';
