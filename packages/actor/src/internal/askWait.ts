import * as FiberRef from "effect/FiberRef"

/**
 * An actor as the wait-for graph of asks sees it. An ask that would close a cycle in this graph
 * can never be answered (every actor on the cycle is blocked on the next), so it fails at once
 * with `AskCycle` instead of waiting for its deadline.
 *
 * @internal
 */
export interface AskParty {
  readonly name: string
  /**
   * Counts the runs of user code (handlers, hooks) the loop has finished. A fiber forked during
   * run `turn` (by `Effect.timeout`, `Effect.all` with concurrency, a fork joined later) asks on
   * the actor's behalf while that run lasts: the loop cannot go on until the run ends.
   */
  turn: number
  /** The asks this actor is blocked in: its loop's own, and its current run's forks'. */
  readonly waits: Set<AskWait>
}

/** One ask in progress: `target` is asked during run `turn` of the asking actor. @internal */
export class AskWait {
  constructor(readonly target: AskParty, readonly turn: number) {}
}

/** A fiber forked from an actor's loop during run `turn`, or from such a fiber. @internal */
export class ForkedFrom<P extends AskParty> {
  constructor(readonly party: P, readonly turn: number) {}
}

/**
 * Whose fiber the current one is: the actor whose loop it is, or `ForkedFrom` for a fiber forked
 * (directly or not) from that loop. A fork takes the actor's current run with it, so its asks
 * count as the actor's while that run lasts — and no longer: a fiber that outlives the handler
 * that forked it does not block the actor.
 *
 * @internal
 */
export const makeCurrentParty = <P extends AskParty>() =>
  FiberRef.unsafeMake<P | ForkedFrom<P> | undefined>(undefined, {
    fork: (caller) =>
      caller === undefined || caller instanceof ForkedFrom ? caller : new ForkedFrom(caller, caller.turn),
    // A joined fiber (the winner of a restart backoff's race, say) must not take the actor away.
    join: (parent) => parent
  })

/** The actor an ask from a fiber with `caller` blocks, if any, and the run it blocks. @internal */
export const blockedBy = <P extends AskParty>(caller: P | ForkedFrom<P> | undefined): P | undefined => {
  if (caller === undefined) return undefined
  if (!(caller instanceof ForkedFrom)) return caller
  return caller.turn === caller.party.turn ? caller.party : undefined
}

/**
 * The chain of asks from `target` back to `caller`, if there is one (as actor names, starting
 * with the caller): `caller` asking `target` would deadlock. Waits of a finished run are ignored.
 *
 * @internal
 */
export const findCycle = (caller: AskParty, target: AskParty): ReadonlyArray<string> | undefined => {
  const path = [caller.name]
  const visited = new Set<AskParty>()
  const reaches = (node: AskParty): boolean => {
    path.push(node.name)
    if (node === caller) return true
    if (!visited.has(node)) {
      visited.add(node)
      for (const wait of node.waits) {
        if (wait.turn === node.turn && reaches(wait.target)) return true
      }
    }
    path.pop()
    return false
  }
  return reaches(target) ? path : undefined
}
