// The worker thread of `--workers N`: serves the compressor behaviour.
import { WorkerActor } from "@weft/worker"
import { Compressor, compressor } from "./Compressor.js"

WorkerActor.serve(WorkerActor.host(Compressor, compressor))
