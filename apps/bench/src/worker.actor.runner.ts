// The worker module of the worker bench's worker actor: hosts `pinger`.
import { WorkerActor } from "@weft/worker"
import { Pinger, pinger } from "./worker.jobs.js"

WorkerActor.serve(WorkerActor.host(Pinger, pinger))
