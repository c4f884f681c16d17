/**
 * docs/benchmarks.svg: one bar per non-weft contender, grouped by benchmark, its length the weft ×
 * ratio on a log scale around 1× (right: weft is faster; left: slower). Peers are green or red by
 * that side; limit and variant rows, bounds and other uses of weft rather than rivals, are grey.
 * Plain SVG with no script or external font, so it renders on any page that shows the markdown.
 */
import { groupRows, type Report } from "./rows.js"

const width = 1000
const labelWidth = 520
const barRow = 18
const headerRow = 24
/** The axis spans 1/64× to 64×; longer bars are clipped and keep their number. */
const maxLog = Math.log2(64)

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

export const chartSvg = ({ date, machine, rows }: Report): string => {
  const plotLeft = labelWidth + 10
  const plotWidth = width - plotLeft - 80
  const center = plotLeft + plotWidth / 2
  const x = (ratio: number) => center + (Math.max(-maxLog, Math.min(maxLog, Math.log2(ratio))) / maxLog) * plotWidth / 2
  const body: Array<string> = []
  let y = 56
  for (const group of groupRows(rows)) {
    const others = group.filter((r) => r.role !== "weft" && Number.isFinite(r.weftRatio) && r.weftRatio > 0)
    if (others.length === 0) continue
    const first = group[0]!
    body.push(
      `<text x="8" y="${y + 16}" class="bench">${escape(clip(`${first.package} · ${first.benchmark}`, 110))}</text>`
    )
    y += headerRow
    for (const r of others) {
      const end = x(r.weftRatio)
      const faster = r.weftRatio >= 1
      const shade = r.role === "peer" ? (faster ? "faster" : "slower") : "context"
      body.push(
        `<text x="${labelWidth}" y="${y + 13}" class="label" text-anchor="end">${
          escape(clip(`${r.role}: ${r.contender}`, 80))
        }</text>`,
        `<rect x="${Math.min(center, end).toFixed(1)}" y="${y + 3}" width="${
          Math.max(1, Math.abs(end - center)).toFixed(1)
        }" height="${barRow - 6}" class="${shade}"/>`,
        `<text x="${(faster ? end + 4 : end - 4).toFixed(1)}" y="${y + 13}" class="value" text-anchor="${
          faster ? "start" : "end"
        }">${r.weftRatio.toFixed(2)}×</text>`
      )
      y += barRow
    }
    y += 6
  }
  const height = y + 30
  const ticks = [1 / 64, 1 / 8, 1, 8, 64].map((ratio) => {
    const tx = x(ratio).toFixed(1)
    const label = ratio >= 1 ? `${ratio}×` : `1/${1 / ratio}×`
    return `<line x1="${tx}" y1="50" x2="${tx}" y2="${y}" class="${ratio === 1 ? "one" : "tick"}"/>`
      + `<text x="${tx}" y="${y + 16}" class="value" text-anchor="middle">${label}</text>`
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<style>",
    "text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;fill:#1f2328}",
    ".title{font-size:15px;font-weight:600}.bench{font-size:13px;font-weight:600}",
    ".label,.value{font-size:11px}.faster{fill:#2da44e}.slower{fill:#cf222e}.context{fill:#8c959f}",
    ".tick{stroke:#d0d7de;stroke-dasharray:3 3}.one{stroke:#57606a}",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="22" class="title">weft × each contender, log scale: right of 1× weft is faster</text>`,
    `<text x="8" y="38" class="label">${escape(`pnpm bench, ${date}, ${machine}`)}</text>`,
    ...ticks,
    ...body,
    "</svg>",
    ""
  ].join("\n")
}
