// The job the consumer program sends to its worker module (checksum.worker.ts).
import { ThreadBytes } from "@weft/worker"
import { Schema } from "effect"

export class Checksum extends Schema.TaggedRequest<Checksum>()("Checksum", {
  failure: Schema.Never,
  success: Schema.Number,
  payload: { data: ThreadBytes.Transfer }
}) {}
