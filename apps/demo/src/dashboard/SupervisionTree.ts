/**
 * The supervision tree the dashboard shows: the actor system's groups and their actors (status,
 * mailbox depth, restarts, last failure), kept in one place and updated from the system's
 * lifecycle events as they are read.
 *
 * Lifecycle events do not say which group an actor belongs to, so the groups are declared: each
 * has a `members` test on the actor's name (the gateway's plugins are `plugin-<name>`). An actor
 * no group claims is listed under {@link otherGroup}.
 *
 * A terminated actor stays in the tree (status `stopped`, `killed` or `failed`) until an actor of
 * the same name starts again; at most `keepTerminated` of them are kept, the oldest dropped first.
 */
import { Actor, type Lifecycle, type Terminated } from "@weft/actor"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/** A group of the tree, as declared. */
export interface Group {
  readonly name: string
  /** How its actors are supervised, as a person reads it ("restart each, no limit"). */
  readonly supervision: string
  readonly members: (actorName: string) => boolean
}

/** The group of actors no declared group claims. */
export const otherGroup: Group = { name: "other actors", supervision: "as spawned", members: () => true }

/**
 * `running`, `restarted` (a restart within the last {@link restartedRecentlyMs}: a restart takes
 * microseconds, so "restarting" would never be seen), or how it terminated.
 */
export type Status = "running" | "restarted" | "stopped" | "killed" | "failed"

/** How long an actor shows `restarted` after a restart. */
export const restartedRecentlyMs = 2_000

/** The longest failure message kept (the first line of the cause, cut). */
const maxFailureLength = 200

/** What failed last, and when (epoch milliseconds). */
export interface Failure {
  readonly at: number
  readonly message: string
}

interface Node {
  readonly ref: Actor.ActorRef<never>
  readonly startedAt: number
  restarts: number
  restartedAt: number | undefined
  terminated: { readonly reason: Terminated.TerminationReason["_tag"]; readonly at: number } | undefined
  lastFailure: Failure | undefined
}

/** The tree's state: one node per actor name, in start order. */
export interface SupervisionTree {
  readonly groups: ReadonlyArray<Group>
  readonly keepTerminated: number
  readonly nodes: Map<string, Node>
}

/** One actor as the page shows it. */
export interface ActorView {
  readonly id: number
  readonly name: string
  readonly status: Status
  /** User messages queued now (0 once terminated). */
  readonly mailbox: number
  readonly restarts: number
  readonly lastFailure: Failure | null
}

/** One group and its actors, in start order. */
export interface GroupView {
  readonly name: string
  readonly supervision: string
  readonly actors: ReadonlyArray<ActorView>
}

/** The whole tree: the groups that have actors, in declaration order, then {@link otherGroup}. */
export interface TreeView {
  readonly groups: ReadonlyArray<GroupView>
}

/** An empty tree with these groups. */
export const make = (groups: ReadonlyArray<Group>, keepTerminated = 16): SupervisionTree => ({
  groups: [...groups, otherGroup],
  keepTerminated,
  nodes: new Map()
})

/** The first line of a crash's cause, for a person (a squashed defect's message). */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  const line = text.split("\n", 1)[0]!
  return line.length > maxFailureLength ? `${line.slice(0, maxFailureLength - 1)}…` : line
}

/** Adds an actor already running when the tree started following (no-op if it is known). */
export const seed = (tree: SupervisionTree, ref: Actor.ActorRef<never>, now: number, restarts = 0): void => {
  if (tree.nodes.get(ref.name)?.ref.id === ref.id) return
  startNode(tree, ref, now)
  tree.nodes.get(ref.name)!.restarts = restarts
}

const startNode = (tree: SupervisionTree, ref: Actor.ActorRef<never>, now: number) => {
  // Re-inserted, so the map's order stays the start order.
  tree.nodes.delete(ref.name)
  tree.nodes.set(ref.name, {
    ref,
    startedAt: now,
    restarts: 0,
    restartedAt: undefined,
    terminated: undefined,
    lastFailure: undefined
  })
}

/** The node of this actor (not one of an earlier actor of the same name). */
const nodeOf = (tree: SupervisionTree, ref: Actor.ActorRef<never>) => {
  const node = tree.nodes.get(ref.name)
  return node?.ref.id === ref.id ? node : undefined
}

/** Applies one lifecycle event read at `now` (epoch milliseconds). */
export const apply = (tree: SupervisionTree, event: Lifecycle.LifecycleEvent, now: number): void => {
  switch (event._tag) {
    case "Started":
      return startNode(tree, event.actor, now)
    case "Restarted": {
      const node = nodeOf(tree, event.actor)
      if (node === undefined) return
      node.restarts++
      node.restartedAt = now
      // A group restarting a nested group as a unit has no cause of its own.
      if (!Cause.isEmpty(event.cause)) node.lastFailure = { at: now, message: describeCause(event.cause) }
      return
    }
    case "Terminated": {
      const node = nodeOf(tree, event.actor)
      if (node === undefined) return
      node.terminated = { reason: event.reason._tag, at: now }
      if (event.reason._tag === "Failed") node.lastFailure = { at: now, message: describeCause(event.reason.cause) }
      return dropOldTerminated(tree)
    }
    case "PluginRemoved":
      // Leaving a dispatcher's routing is not a supervision change; its termination follows.
      return
  }
}

const dropOldTerminated = (tree: SupervisionTree) => {
  const terminated = Array.from(tree.nodes.values()).filter((node) => node.terminated !== undefined)
  terminated.sort((a, b) => a.terminated!.at - b.terminated!.at)
  for (let i = 0; i < terminated.length - tree.keepTerminated; i++) tree.nodes.delete(terminated[i]!.ref.name)
}

const statusOf = (node: Node, now: number): Status => {
  if (node.terminated !== undefined) {
    return node.terminated.reason === "Stopped" ? "stopped" : node.terminated.reason === "Killed" ? "killed" : "failed"
  }
  return node.restartedAt !== undefined && now - node.restartedAt < restartedRecentlyMs ? "restarted" : "running"
}

/** The tree now, with every live actor's mailbox depth read at once. */
export const view = (tree: SupervisionTree): Effect.Effect<TreeView> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const nodes = Array.from(tree.nodes.values())
    const mailboxes = yield* Effect.forEach(
      nodes,
      (node) => node.terminated === undefined ? Actor.mailboxSize(node.ref) : Effect.succeed(0)
    )
    const byGroup = new Map<Group, Array<ActorView>>(tree.groups.map((group) => [group, []]))
    nodes.forEach((node, i) => {
      const group = tree.groups.find((group) => group.members(node.ref.name))!
      byGroup.get(group)!.push({
        id: node.ref.id,
        name: node.ref.name,
        status: statusOf(node, now),
        mailbox: mailboxes[i]!,
        restarts: node.restarts,
        lastFailure: node.lastFailure ?? null
      })
    })
    return {
      groups: Array.from(byGroup, ([group, actors]) => ({ name: group.name, supervision: group.supervision, actors }))
        .filter((group) => group.actors.length > 0)
    }
  })
