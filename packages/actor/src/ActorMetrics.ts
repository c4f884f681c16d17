/**
 * The metrics every actor reports, tagged with `actor` (the actor's name), each with a
 * description (an exporter's HELP). Read them with
 * `Metric.value(Metric.tagged(metric, "actor", name))` or any Effect metrics exporter.
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/**
 * User messages queued, sampled whenever the actor goes idle and every 256 messages.
 *
 * @since 0.1.0
 * @category metrics
 */
export const mailboxDepth = Metric.gauge("weft_actor_mailbox_depth", {
  description: "user messages queued in the actor's mailbox, sampled when it goes idle"
})

/**
 * Messages handled (successfully or not; dead letters are counted separately).
 *
 * @since 0.1.0
 * @category metrics
 */
export const processed = Metric.counter("weft_actor_processed", {
  incremental: true,
  description: "messages the actor handled, successfully or not"
})

/**
 * Milliseconds the actor spent working (handling messages, hooks, restarts) rather than waiting
 * for messages, measured per batch — when the actor goes idle, every 256 messages and at
 * termination — so the per-message path reads no clock.
 *
 * @since 0.1.0
 * @category metrics
 */
export const processingTime = Metric.counter("weft_actor_processing_ms", {
  incremental: true,
  description: "milliseconds the actor spent working rather than waiting for messages"
})

/**
 * How long each message's handler took, in milliseconds (fractional, from the `Clock`'s
 * nanosecond time), from the moment it was called until its effect completed — suspensions
 * included. Observed for every handler that returns an effect to run; a handler that returns
 * `Effect.succeed`/`Effect.fail` directly is settled inside the call, takes no measurable time,
 * and is not observed (so the per-message path of such actors reads no clock). An observation
 * costs two clock reads and a histogram update, about 0.14 µs. Buckets: 10 µs to about 2.6 s,
 * ×4 apart.
 *
 * @since 0.1.0
 * @category metrics
 */
export const handlerTime = Metric.histogram(
  "weft_actor_handler_ms",
  MetricBoundaries.exponential({ start: 0.01, factor: 4, count: 11 }),
  "milliseconds each message's handler took, suspensions included"
)

/**
 * Restarts performed by supervision.
 *
 * @since 0.1.0
 * @category metrics
 */
export const restarts = Metric.counter("weft_actor_restarts", {
  incremental: true,
  description: "restarts of the actor performed by supervision"
})

/**
 * Messages addressed to this actor that became dead letters.
 *
 * @since 0.1.0
 * @category metrics
 */
export const deadLetters = Metric.counter("weft_actor_dead_letters", {
  incremental: true,
  description: "messages addressed to the actor that became dead letters"
})
