/**
 * The cluster mode's HTTP routes (see `docs/demo.md`):
 * - `GET /cluster`: runners (pid, port, status, shards, entities, messages, messages/s), the
 *   plugin's tells and retries, and every topic's totals as its entity stored them;
 * - `POST /cluster/runners/:pid/kill`: SIGKILLs that runner (404 if it is not a live runner);
 * - `POST /cluster/runners`: starts one more runner.
 * Without `--runners` each answers 404 `ClusterNotRunning`.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ClusterMode } from "./Runners.js"

/** A cluster route on a gateway started without `--runners`. */
export class ClusterNotRunning extends Data.TaggedError("ClusterNotRunning")<{}> {
  override get message() {
    return "the gateway runs without a cluster (start it with --runners N)"
  }
}

const error = (status: number, failure: { readonly _tag: string; readonly message: string }, facts: object = {}) =>
  HttpServerResponse.unsafeJson({ error: failure._tag, message: failure.message, ...facts }, { status })

const withCluster = <E>(
  handle: (
    cluster: ClusterMode["Type"]
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, HttpRouter.RouteContext>
) =>
  Effect.flatMap(
    Effect.serviceOption(ClusterMode),
    (cluster) =>
      Option.match(cluster, { onNone: () => Effect.succeed(error(404, new ClusterNotRunning())), onSome: handle })
  )

export const router = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/cluster",
    withCluster((cluster) =>
      Effect.map(
        Effect.zip(cluster.view, cluster.topics),
        ([view, topics]) => HttpServerResponse.unsafeJson({ ...view, topics })
      )
    )
  ),
  HttpRouter.post(
    "/cluster/runners/:pid/kill",
    withCluster((cluster) =>
      Effect.flatMap(HttpRouter.params, (params) =>
        cluster.kill(Number(params.pid)).pipe(
          Effect.map((runner) => HttpServerResponse.unsafeJson({ killed: runner })),
          Effect.catchTag(
            "RunnerNotFound",
            (failure) => Effect.succeed(error(404, failure, { pid: params.pid, live: failure.live }))
          )
        ))
    )
  ),
  HttpRouter.post(
    "/cluster/runners",
    withCluster((cluster) =>
      cluster.startRunner.pipe(
        Effect.map((runner) => HttpServerResponse.unsafeJson({ started: runner })),
        Effect.catchTag("RunnerStartFailed", (failure) => Effect.succeed(error(500, failure, { port: failure.port })))
      )
    )
  )
)
