/**
 * A small seeded generator (splitmix32): 32-bit integer arithmetic only, so one seed yields the
 * same sequence on every platform and Node version — a seed in a failure report stays valid.
 */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0
    let z = this.state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.nextFloat() * bound)
  }
}

/** The seed of run `index` of a check started from `seed`: runs are independent streams. */
export const runSeed = (seed: number, index: number): number =>
  new Prng((seed ^ Math.imul(index + 1, 0x27d4eb2f)) >>> 0).nextU32()

/** A fresh seed when the caller gives none; it is reported with any failure. */
export const freshSeed = (): number => Math.floor(Math.random() * 0x1_0000_0000)
