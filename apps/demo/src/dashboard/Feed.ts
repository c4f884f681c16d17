/**
 * What the dashboard page is fed, kept once per gateway (not per browser): the time series
 * sampled every second, the supervision tree and the dead-letter tail, both followed from the
 * gateway's actor system, and the `/events` ticks (see `Ticks`): each snapshot with
 * {@link View}, computed once per tick for every subscriber, and the series' history in the first
 * one of a connection.
 *
 * Adding a panel for another part of the system (workers, cluster runners) means adding its
 * fields to `Series.Point` or a section to {@link View}, and one panel to the page — nothing else
 * changes.
 */
import type { Stream } from "effect"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { ClusterMode, type ClusterView } from "../cluster/Runners.js"
import * as Gateway from "../Gateway.js"
import * as SystemEvents from "../gateway/SystemEvents.js"
import * as Assets from "./Assets.js"
import * as DeadLetterTail from "./DeadLetterTail.js"
import * as Series from "./Series.js"
import * as SupervisionTree from "./SupervisionTree.js"
import * as Ticks from "./Ticks.js"

/** The dashboard's live sections, besides the latest point. */
export interface View {
  /** The newest point of the series (`null` before the first sample). */
  readonly point: Series.Point | null
  readonly tree: SupervisionTree.TreeView
  /** The newest dead letters, newest first. */
  readonly deadLetters: ReadonlyArray<DeadLetterTail.Entry>
  /** The runners of `serve --runners N` (`null` without a cluster). */
  readonly cluster: ClusterView | null
}

/** How often the series is sampled. */
export const sampleInterval = "1 second"

/** Dead letters the page lists. */
export const deadLettersShown = 20

/**
 * The gateway's groups: its plugins, spawned as `plugin-<name>`, each supervised on its own and
 * restarted at once without limit (see the gateway's spawn options).
 */
export const gatewayGroups: ReadonlyArray<SupervisionTree.Group> = [{
  name: "plugins",
  supervision: "restart each at once, no limit",
  members: (actor) => actor.startsWith("plugin-")
}]

export class Feed extends Context.Tag("@weft/demo/dashboard/Feed")<Feed, {
  /** The series, oldest first (an owned copy). */
  readonly history: () => ReadonlyArray<Series.Point>
  readonly view: Effect.Effect<View>
  /**
   * The `/events` ticks for these parameters, as JSON (`Ticks.Tick<View>`): every `intervalMs`,
   * shared by the subscribers with the same parameters. Ends when the feed closes.
   */
  readonly ticks: (options: { readonly intervalMs: number; readonly top: number }) => Stream.Stream<string>
  /** uPlot's script and stylesheet, read at startup. */
  readonly assets: ReadonlyArray<Assets.Asset>
}>() {}

const make = Effect.gen(function*() {
  const gateway = yield* Gateway.Gateway
  const assets = yield* Assets.load
  const system = gateway.system
  // Subscribed before the live actors are read: an actor started in between is in both, and
  // `seed` and `apply` agree on it.
  const lifecycle = yield* system.subscribeLifecycle
  const deadLetters = yield* system.subscribeDeadLetters
  const tree = SupervisionTree.make(gatewayGroups)
  const startedAt = yield* Clock.currentTimeMillis
  for (const ref of yield* system.actors) {
    SupervisionTree.seed(tree, ref, startedAt, gateway.counters.restarts.get(ref.name) ?? 0)
  }
  const tail = DeadLetterTail.make(deadLettersShown)
  // A lag — counted by the gateway's own followers (`systemEventsLost`), which lag the same
  // way — leaves the tree out of date until the next event of the actors concerned, and the
  // tail without the letters lost.
  const countedByTheGateway = () => {}
  yield* SystemEvents.follow(lifecycle, {
    onEvent: (event, now) => SupervisionTree.apply(tree, event, now),
    onLagged: countedByTheGateway
  })
  yield* SystemEvents.follow(deadLetters, {
    onEvent: (letter, now) => DeadLetterTail.record(tail, letter, now),
    onLagged: countedByTheGateway
  })

  const series = Series.make()
  yield* gateway.snapshot({ top: 1 }).pipe(
    Effect.map((snapshot) => Series.record(series, snapshot)),
    Effect.repeat(Schedule.spaced(sampleInterval)),
    Effect.forkScoped
  )

  const cluster = yield* Effect.serviceOption(ClusterMode)
  const clusterView = Option.match(cluster, { onNone: () => Effect.succeed(null), onSome: (cluster) => cluster.view })
  const view = Effect.map(Effect.zip(SupervisionTree.view(tree), clusterView), ([treeView, cluster]): View => ({
    point: series.points.at(-1) ?? null,
    tree: treeView,
    deadLetters: DeadLetterTail.latest(tail, deadLettersShown),
    cluster
  }))
  const history = () => series.points.slice()
  const ticks = yield* Ticks.make({ snapshot: gateway.snapshot, view, history })
  return Feed.of({ history, view, ticks, assets })
})

/** The feed of the running gateway; closing it stops sampling and following. */
export const layer: Layer.Layer<Feed, Assets.AssetMissing, Gateway.Gateway> = Layer.scoped(Feed, make)
