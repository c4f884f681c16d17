// A worker module loaded from the packed @weft/worker: the pool in main.ts starts it as compiled JS.
import { Bytes } from "@weft/bytes"
import { BlockingRunner } from "@weft/worker"
import { Checksum } from "./jobs.js"

BlockingRunner.launch(Checksum, {
  Checksum: ({ data }) => Bytes.toUint8Array(data).reduce((sum, byte) => sum + byte, 0)
})
