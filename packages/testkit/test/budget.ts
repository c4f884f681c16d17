/**
 * Runs per interleaving check: the given number in CI, twenty times as many under `pnpm stress`
 * (which sets WEFT_STRESS=1).
 */
export const runs = (ci: number): number => process.env.WEFT_STRESS === "1" ? ci * 20 : ci
