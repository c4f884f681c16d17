import * as Schema from "effect/Schema"

/**
 * A message in a shared arena: `{ index, generation }`, a Schema class, so it is a job payload
 * field as it is (it crosses threads by value) and compares with `Equal.equals`. It is not
 * `@weft/arena`'s `MessageRef`: those are minted only by their own arena.
 *
 * @since 0.1.0
 * @category models
 */
export class SharedRef extends Schema.Class<SharedRef>("@weft/worker/SharedRef")({
  index: Schema.Int,
  generation: Schema.Int
}) {
  override toString() {
    return `sharedRef(${this.index}@${this.generation})`
  }
}
