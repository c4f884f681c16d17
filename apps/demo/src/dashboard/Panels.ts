/**
 * The dashboard's panels, one entry each, in page order (two columns; `wide` spans both). Each is
 * browser JavaScript that registers itself with `panel({ id, title, subtitle, wide, create })`
 * (`create(body, now)` builds it once and returns `update(tick, points)`), or with `chart({ … })`
 * for a time series drawn by uPlot. A panel for workers or cluster runners is one more entry here
 * (and its data in `Feed.View` or `Series.Point`): nothing else changes.
 */
import { clusterPanel } from "./ClusterPanel.js"

/** `chart(spec)`: a uPlot line chart of the recent points; rebuilt only when its lines change. */
export const chartHelper = `
  const short = (v) => v >= 1e6 ? (v / 1e6).toFixed(1) + "M" : v >= 1e3 ? (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + "k" : String(+v.toFixed(2))
  const colors = new Map()
  const colorOf = (name) => {
    if (!colors.has(name)) colors.set(name, palette[colors.size % palette.length])
    return colors.get(name)
  }
  const grid = { stroke: "#262b33", width: 1 }
  const chartOptions = (spec, lines, width) => ({
    width, height: 190,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    axes: [
      { stroke: "#8b95a3", grid, ticks: grid, space: 90, values: (u, values) => values.map((t) => clock(t * 1000)) },
      { label: spec.unit, stroke: "#8b95a3", grid, ticks: grid, size: 56, values: (u, values) => values.map(short) }
    ],
    series: [{}].concat(lines.map((line) => ({
      label: line.label, stroke: line.color, width: 1.5, dash: line.dash, fill: line.fill, points: { show: false }
    })))
  })
  // spec: { id, title, subtitle, unit, lines(points) → [{ label, color, value(point), dash?, fill? }], now(points, tick) → text }
  const chart = (spec) => panel({
    id: spec.id, title: spec.title, subtitle: spec.subtitle, wide: spec.wide,
    create: (body, now) => {
      let plot, signature
      body.dataset.chart = spec.id
      body.dataset.points = "0"
      const width = () => Math.max(240, body.clientWidth)
      window.addEventListener("resize", () => { if (plot) plot.setSize({ width: width(), height: 190 }) })
      return (tick, points) => {
        const lines = spec.lines(points)
        const data = [points.map((p) => p.t / 1000)].concat(lines.map((line) =>
          points.map((p) => { const v = line.value(p); return v === undefined ? null : v })))
        const key = lines.map((line) => line.label).join("|")
        if (plot === undefined || key !== signature) {
          if (plot) plot.destroy()
          signature = key
          plot = new uPlot(chartOptions(spec, lines, width()), data, body)
        } else {
          plot.setData(data)
        }
        // Points with a value in the first line: what the browser test checks.
        body.dataset.points = String(data.length > 1 ? data[1].filter((v) => v !== null).length : 0)
        now.textContent = points.length === 0 ? "" : spec.now(points, tick)
      }
    }
  })
  const last = (points) => points[points.length - 1]
  // The plugins seen in the points, in the order they first appeared.
  const pluginNames = (points) => {
    const names = []
    for (const p of points) for (const name of Object.keys(p.plugins)) if (!names.includes(name)) names.push(name)
    return names
  }
`

const throughput = `
  chart({
    id: "throughput", title: "Throughput", subtitle: "frames per second", unit: "frames/s",
    lines: () => [
      { label: "in", color: "#58a6ff", value: (p) => p.framesInPerSecond },
      { label: "acked (fsynced)", color: "#3fb950", value: (p) => p.ackedPerSecond }
    ],
    now: (points) => "in " + fmt(last(points).framesInPerSecond) + " · acked " + fmt(last(points).ackedPerSecond) + " frames/s"
  })
`

const latency = `
  chart({
    id: "latency", title: "Ingest → fsync latency", subtitle: "over the last 10 s", unit: "ms",
    lines: () => [
      { label: "p50", color: "#3fb950", value: (p) => p.p50Ms },
      { label: "p99", color: "#d29922", value: (p) => p.p99Ms }
    ],
    now: (points) => {
      const p = last(points)
      return p.p99Ms === null ? "nothing acked lately" : "p50 " + p.p50Ms.toFixed(1) + " · p99 " + p.p99Ms.toFixed(1) + " ms"
    }
  })
`

const arena = `
  chart({
    id: "arena", title: "Arena occupancy", subtitle: "frames in flight", unit: "slots",
    lines: () => [
      { label: "live", color: "#58a6ff", fill: "rgba(88, 166, 255, 0.15)", value: (p) => p.arenaLive },
      { label: "capacity", color: "#8b95a3", dash: [4, 4], value: (p) => p.arenaCapacity }
    ],
    now: (points) => {
      const p = last(points)
      return fmt(p.arenaLive) + " / " + fmt(p.arenaCapacity) + " slots (" + Math.round(100 * p.arenaLive / p.arenaCapacity) + "%)"
    }
  })
`

const mailboxes = `
  chart({
    id: "mailboxes", title: "Plugin mailboxes", subtitle: "batches queued, per plugin", unit: "batches",
    lines: (points) => pluginNames(points).map((name) => ({
      label: name, color: colorOf(name), value: (p) => p.plugins[name] ? p.plugins[name].mailbox : null
    })),
    now: (points) => {
      const deepest = Object.entries(last(points).plugins).sort((a, b) => b[1].mailbox - a[1].mailbox)[0]
      return deepest === undefined ? "" : "deepest: " + deepest[0] + " " + fmt(deepest[1].mailbox)
    }
  })
`

const handled = `
  chart({
    id: "handled", title: "Plugin throughput", subtitle: "frames handled per second, per plugin", unit: "frames/s",
    lines: (points) => pluginNames(points).map((name) => ({
      label: name, color: colorOf(name), value: (p) => p.plugins[name] ? p.plugins[name].handledPerSecond : null
    })),
    now: (points) => {
      const slowest = Object.entries(last(points).plugins).filter((e) => e[1].handledPerSecond !== null)
        .sort((a, b) => a[1].handledPerSecond - b[1].handledPerSecond)[0]
      return slowest === undefined ? "" : "slowest: " + slowest[0] + " " + fmt(slowest[1].handledPerSecond) + "/s"
    }
  })
`

const workers = `
  chart({
    id: "workers", title: "Worker threads", subtitle: "compress jobs per second, per worker (--workers)", unit: "jobs/s",
    lines: (points) => {
      const names = []
      for (const p of points) for (const name of Object.keys(p.workers)) if (!names.includes(name)) names.push(name)
      return names.map((name) => ({
        label: name, color: colorOf(name), value: (p) => p.workers[name] ? p.workers[name].jobsPerSecond : null
      }))
    },
    now: (points) => {
      const entries = Object.entries(last(points).workers)
      return entries.length === 0 ? "none (--workers 0, or compress not running)" :
        entries.map(([name, w]) => name + " " + fmt(w.jobsPerSecond) + "/s, " + fmt(w.queued) + " queued").join(" · ")
    }
  })
`

const tree = `
  panel({
    id: "tree", title: "Supervision tree", subtitle: "groups and actors, live",
    create: (body, now) => (tick) => {
      const groups = tick.dashboard.tree.groups
      now.textContent = groups.reduce((n, g) => n + g.actors.length, 0) + " actors"
      const actor = (a) =>
        '<tr data-actor="' + escape(a.name) + '" data-status="' + a.status + '"><td class="actor"><span class="dot"></span>' +
        escape(a.name) + '</td><td class="status">' + a.status + '</td><td class="num">' + fmt(a.mailbox) +
        '</td><td class="num">' + fmt(a.restarts) + '</td><td class="failure"' +
        (a.lastFailure ? ' title="' + escape(a.lastFailure.message) + '">' + ago(a.lastFailure.at, tick.at) + ': ' +
          escape(a.lastFailure.message) : '>') + '</td></tr>'
      body.innerHTML = '<div class="tree-root">actor system</div>' + groups.map((group) =>
        '<div class="group"><div><strong>' + escape(group.name) + '</strong> <span class="sub">' +
        escape(group.supervision) + '</span></div><table><thead><tr><th>actor</th><th>status</th>' +
        '<th class="num">mailbox</th><th class="num">restarts</th><th>last failure</th></tr></thead><tbody>' +
        group.actors.map(actor).join("") + '</tbody></table></div>').join("")
    }
  })
`

const deadLetters = `
  panel({
    id: "dead-letters", title: "Dead letters", subtitle: "latest first, and counts by reason",
    create: (body, now) => (tick) => {
      now.textContent = fmt(tick.deadLetters) + " since start"
      const reasons = Object.entries(tick.deadLettersByReason).sort((a, b) => b[1] - a[1])
      const chips = reasons.map(([reason, n]) => '<span class="chip">' + escape(reason) + " " + fmt(n) + "</span>").join("")
      const rows = tick.dashboard.deadLetters.slice(0, 10).map((d) =>
        "<tr><td>" + clock(d.at) + "</td><td>" + escape(d.actor) + "</td><td>" + escape(d.tag) + "</td><td>" +
        escape(d.reason) + "</td></tr>").join("")
      body.innerHTML = reasons.length === 0 ? '<div class="empty">none yet</div>' : '<div>' + chips + '</div>' +
        '<table><thead><tr><th>time</th><th>actor</th><th>message</th><th>reason</th></tr></thead><tbody>' + rows + '</tbody></table>'
    }
  })
`

const topics = `
  panel({
    id: "topics", title: "Top topics", subtitle: "rolling score (halved every 10,000 frames)",
    create: (body) => (tick) => {
      const max = tick.topTopics.reduce((m, t) => Math.max(m, t.score), 0)
      body.innerHTML = tick.topTopics.length === 0 ? '<div class="empty">no frames yet</div>' :
        '<table><tbody>' + tick.topTopics.slice(0, 8).map((t) => '<tr><td>' + escape(t.topic) +
        '</td><td style="width:55%"><div style="height:.55rem;border-radius:3px;background:#58a6ff;width:' +
        (max > 0 ? 100 * t.score / max : 0).toFixed(1) + '%"></div></td><td class="num">' + fmt(t.score) +
        '</td></tr>').join("") + '</tbody></table>'
    }
  })
`

/** Every panel, in page order. */
export const panels: ReadonlyArray<string> = [
  throughput,
  latency,
  arena,
  mailboxes,
  handled,
  workers,
  topics,
  tree,
  deadLetters,
  clusterPanel
]
