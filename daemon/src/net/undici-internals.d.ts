// Internal undici module used by account-dispatcher.ts (undici has no "exports" map; CommonJS).
declare module 'undici/lib/core/symbols.js' {
  const symbols: { kBusy: symbol };
  export default symbols;
}
