import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Scheduler from "effect/Scheduler"
import type { Chooser } from "./choosers.js"
import type { Decision } from "./model.js"
import { yieldOverhead } from "./yieldOverhead.js"

type AnyFiber = Fiber.RuntimeFiber<unknown, unknown>

/** The fiber a program allowed the explorer to interrupt (`mayInterrupt`), as seen by that fiber. */
export const interruptTarget: FiberRef.FiberRef<FiberId.FiberId | undefined> = globalValue(
  Symbol.for("@weft/testkit/interruptTarget"),
  () => FiberRef.unsafeMake<FiberId.FiberId | undefined>(undefined)
)

interface ReadyTask {
  readonly task: Scheduler.Task
  readonly priority: number
  readonly fiber: AnyFiber | undefined
  readonly number: number
}

/**
 * An Effect `Scheduler` that runs nothing by itself: fibers of the program queue their tasks here,
 * and the driver runs them one at a time, in the order the chooser picks. `shouldYield` — asked
 * by the fiber runtime before every operation — is where the chooser preempts a running fiber or
 * interrupts it. Every choice that differs from what Effect's default scheduler would do (run the
 * oldest task, never yield early) is recorded as a decision; replaying the decisions by step
 * reproduces the run.
 *
 * Before `arm` and after `release` it stands aside: the owner (the fiber that forks the program
 * through it) is never queued, and after release every task goes to the default scheduler, so
 * fibers the program leaves behind still run.
 */
export class ControlledScheduler implements Scheduler.Scheduler {
  readonly decisions: Array<Decision> = []
  step = 0
  private readonly ready: Array<ReadyTask> = []
  private readonly numbers = new Map<AnyFiber, number>()
  private readonly interrupted = new Set<AnyFiber>()
  /** Fibers seen running under their `mayInterrupt` mark. */
  private readonly marked = new Set<AnyFiber>()
  /** Operations a fiber runs unasked after a forced yield: see `shouldYield`. */
  private readonly resuming = new Map<AnyFiber, number>()
  private running: AnyFiber | undefined = undefined
  private forcedYield = false
  private state: "idle" | "driving" | "released" = "idle"
  /** Set by the driver while it runs tasks; tasks scheduled outside that come from outside. */
  inTurn = false
  /**
   * Tasks scheduled from outside the driver's turns (a timer or I/O callback resuming a fiber,
   * a fiber outside the program interrupting one). They join the ready queue only when nothing
   * else is ready, whenever they arrived, so the event loop's timing does not change the run.
   */
  private readonly arrived: Array<ReadyTask> = []

  constructor(
    private readonly chooser: Chooser,
    private readonly owner: AnyFiber,
    private readonly maxSteps: number
  ) {}

  arm(): void {
    if (this.state === "idle") this.state = "driving"
  }

  /** Moves the tasks that arrived from outside into the ready queue; false when there were none. */
  admitArrived(): boolean {
    if (this.arrived.length === 0) return false
    this.ready.push(...this.arrived.splice(0))
    return true
  }

  /** Hands every queued task to the default scheduler; later tasks go there directly. */
  release(): void {
    if (this.state === "released") return
    this.state = "released"
    for (const { fiber, priority, task } of [...this.ready.splice(0), ...this.arrived.splice(0)]) {
      Scheduler.defaultScheduler.scheduleTask(task, priority, fiber)
    }
  }

  scheduleTask(task: Scheduler.Task, priority: number, fiber?: AnyFiber): void {
    if (this.state === "released" || (fiber !== undefined && fiber === this.owner)) {
      Scheduler.defaultScheduler.scheduleTask(task, priority, fiber)
      return
    }
    const number = fiber === undefined ? 0 : this.numberOf(fiber)
    if (fiber !== undefined && fiber === this.running) {
      if (this.forcedYield) this.forcedYield = false
      else this.chooser.yielded(number)
    }
    const ready = { task, priority, fiber, number }
    if (this.state === "driving" && !this.inTurn) this.arrived.push(ready)
    else this.ready.push(ready)
  }

  shouldYield(fiber: AnyFiber): number | false {
    if (this.state !== "driving" || fiber === this.owner) return Scheduler.defaultShouldYield(fiber)
    // Past the step limit, hand control back to the driver at every operation so it can stop.
    if (this.step >= this.maxSteps) return 0
    // After a forced yield the runtime restores its scheduling priority, then asks again before
    // the very operation it yielded at: those asks pass unasked, so the fiber always progresses.
    const resuming = this.resuming.get(fiber)
    if (resuming !== undefined) {
      if (resuming <= 1) this.resuming.delete(fiber)
      else this.resuming.set(fiber, resuming - 1)
      return Scheduler.defaultShouldYield(fiber)
    }
    const step = ++this.step
    const number = this.numberOf(fiber)
    const isMarked = fiber.getFiberRef(interruptTarget) === fiber.id()
    if (isMarked) this.marked.add(fiber)
    const interruptible = isMarked && !this.interrupted.has(fiber)
    const choice = this.chooser.atOp(step, number, interruptible, this.readyNumbers())
    if (choice === "interrupt") {
      this.interrupted.add(fiber)
      this.decisions.push({ _tag: "Interrupt", step, fiber: number })
      // Queued on the running fiber's own inbox: the runtime takes it before the next operation.
      fiber.unsafeInterruptAsFork(FiberId.none)
    } else if (choice === "yield" && this.ready.length > 0) {
      this.decisions.push({ _tag: "Yield", step, fiber: number })
      this.forcedYield = true
      this.resuming.set(fiber, yieldOverhead())
      return 0
    }
    return Scheduler.defaultShouldYield(fiber)
  }

  /** Runs one ready task; false when there is none. */
  runNext(): boolean {
    if (this.ready.length === 0) return false
    this.maybeInterruptWaiting()
    let index = 0
    if (this.ready.length > 1) {
      const step = ++this.step
      const ready = this.readyNumbers()
      index = Math.max(0, Math.min(this.chooser.pick(step, ready), ready.length - 1))
      if (index !== 0) this.decisions.push({ _tag: "Pick", step, fiber: ready[index]!, index, of: ready.length })
    }
    const [next] = this.ready.splice(index, 1)
    this.running = next!.fiber
    this.forcedYield = false
    try {
      next!.task()
    } finally {
      this.running = undefined
    }
    return true
  }

  /**
   * Between tasks no fiber runs, so an interrupt here lands while the target waits or is queued —
   * the only place another fiber's interrupt can land on Effect's default scheduler.
   */
  private maybeInterruptWaiting(): void {
    if (this.marked.size === 0) return
    const waiting: Array<AnyFiber> = []
    for (const fiber of this.marked) {
      if (fiber.unsafePoll() !== null) this.marked.delete(fiber)
      else if (!this.interrupted.has(fiber)) waiting.push(fiber)
    }
    if (waiting.length === 0) return
    const step = ++this.step
    const numbers = waiting.map((fiber) => this.numberOf(fiber))
    const index = this.chooser.interruptWaiting(step, numbers)
    const target = waiting[index]
    if (target === undefined) return
    this.interrupted.add(target)
    this.decisions.push({ _tag: "Interrupt", step, fiber: numbers[index]! })
    target.unsafeInterruptAsFork(FiberId.none)
  }

  /** The fibers that own the ready tasks, oldest first. */
  private readyNumbers(): Array<number> {
    return this.ready.map((task) => task.number)
  }

  private numberOf(fiber: AnyFiber): number {
    let number = this.numbers.get(fiber)
    if (number === undefined) {
      number = this.numbers.size + 1
      this.numbers.set(fiber, number)
    }
    return number
  }
}

/** Marks the fiber that runs `self` (not the fibers it forks) as one the explorer may interrupt. */
export const markInterruptible = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => Effect.locally(self, interruptTarget, fiber.id()))
