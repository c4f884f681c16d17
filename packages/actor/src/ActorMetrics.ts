/**
 * The metrics every actor reports, tagged with `actor` (the actor's name). Read them with
 * `Metric.value(Metric.tagged(metric, "actor", name))` or any Effect metrics exporter.
 *
 * @since 0.1.0
 */
import { Metric } from "effect"

/**
 * User messages queued, sampled whenever the actor goes idle and every 256 messages.
 *
 * @since 0.1.0
 * @category metrics
 */
export const mailboxDepth = Metric.gauge("weft_actor_mailbox_depth")

/**
 * Messages handled (successfully or not; dead letters are counted separately).
 *
 * @since 0.1.0
 * @category metrics
 */
export const processed = Metric.counter("weft_actor_processed", { incremental: true })

/**
 * Milliseconds the actor spent working (handling messages, hooks, restarts) rather than waiting
 * for messages, measured per batch — when the actor goes idle, every 256 messages and at
 * termination — so the per-message path reads no clock.
 *
 * @since 0.1.0
 * @category metrics
 */
export const processingTime = Metric.counter("weft_actor_processing_ms", { incremental: true })

/**
 * Restarts performed by supervision.
 *
 * @since 0.1.0
 * @category metrics
 */
export const restarts = Metric.counter("weft_actor_restarts", { incremental: true })

/**
 * Messages addressed to this actor that became dead letters.
 *
 * @since 0.1.0
 * @category metrics
 */
export const deadLetters = Metric.counter("weft_actor_dead_letters", { incremental: true })
