/**
 * The rule for a suite whose server is missing (docs/interop.md): locally it is skipped with the
 * reason printed; with CI=true it runs, and its beforeAll fails naming the reason.
 */
export function serverGate(
  suite: string,
  unavailable: string | undefined,
): { skip: boolean; require: () => void } {
  const inCi = process.env.CI === 'true';
  if (unavailable !== undefined && !inCi) console.warn(`${suite}: skipped — ${unavailable}`);
  return {
    skip: unavailable !== undefined && !inCi,
    require: () => {
      if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    },
  };
}
