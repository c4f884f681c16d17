/**
 * How `weft-demo` prints its help and its argument errors.
 *
 * @effect/cli 0.77 renders both itself, and none of the following can be changed through its
 * public API: every option's help is padded with its value type's sentence ("An integer.", "A
 * user-defined piece of text.", from `Primitive.getHelp`) and, for an optional one, "This setting
 * is optional." (`Options.withDefault`/`optional`); a subcommand's usage reads `$ load …` (its
 * parser only prefixes the parent's name on one of two paths); and the text always has ANSI
 * colour codes (`HelpDoc.toAnsiText`), piped or not. Its built-in options (`--help`, `--version`,
 * `--wizard`, `--completions`, `--log-level`) can only be hidden from the option list
 * (`CliConfig.showBuiltIns: false`): the parser accepts them whatever the configuration.
 *
 * So `run` parses first, with @effect/cli's own parser (`CommandDescriptor.parse`), and prints
 * the help, the version and parse errors itself, from the `HelpDoc` @effect/cli builds: without
 * those sentences, with the program's name in every usage line, and in colour only when the
 * stream is a terminal and `NO_COLOR` is unset. Everything else — running the command,
 * `--completions`, `--log-level` — goes to `Command.run`, which parses again (the same
 * arguments, the same result). `--wizard` (interactive prompts for every option) is refused.
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as Directive from "@effect/cli/CommandDirective"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import * as ValidationError from "@effect/cli/ValidationError"
import * as AnsiDoc from "@effect/printer-ansi/AnsiDoc"
import * as Doc from "@effect/printer/Doc"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

/** What the help's first line says. */
export interface App {
  readonly name: string
  readonly version: string
  readonly summary: string
}

/** Built-in options stay out of every command's OPTIONS list; the help lists them once, below. */
const config = CliConfig.make({ showBuiltIns: false })

/** @effect/cli's own sentences for value types (`Primitive.getHelp`) and optional settings. */
const fillerSentences = [
  /^An integer\.$/,
  /^A floating point number\.$/,
  /^A true or false value\.$/,
  /^A user-defined piece of text( that is confidential)?\.$/,
  /^A date without a time-zone in the ISO-8601 format/,
  /^(An existing |A )(file|directory|file or directory)( that must not exist)?\.$/,
  /^One of the following: /,
  /^This setting is optional\./
]

/** Whether a piece of help text is one of @effect/cli's stock sentences. */
export const isFiller = (text: string): boolean => fillerSentences.some((sentence) => sentence.test(text))

const spanText = (span: Span.Span): string => {
  switch (span._tag) {
    case "Text":
    case "URI":
      return span.value
    case "Highlight":
    case "Strong":
    case "Weak":
      return spanText(span.value)
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
  }
}

/**
 * @effect/cli lists subcommands as `<name> <its whole usage><padding to the longest usage><its
 * description>`, one paragraph each; as `<program> <name>` and the description instead.
 */
const commandList = (app: App, doc: HelpDoc.Enumeration): HelpDoc.HelpDoc => {
  const entries = doc.elements.map((element) =>
    HelpDoc.isParagraph(element) ? /^(\S+)(?: [^]*?)? {2,}(\S[^]*)$/.exec(spanText(element.value)) : null
  )
  const [first, ...rest] = entries.flatMap((entry) =>
    entry === null ? [] : [[Span.text(`${app.name} ${entry[1]}`), HelpDoc.p(entry[2]!)] as [Span.Span, HelpDoc.HelpDoc]]
  )
  return first === undefined || rest.length + 1 !== entries.length ? doc : HelpDoc.descriptionList([first, ...rest])
}

/** `doc` without @effect/cli's stock sentences, its subcommand list readable. */
const tidy = (app: App, doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  switch (doc._tag) {
    case "Paragraph":
      return isFiller(spanText(doc.value)) ? HelpDoc.empty : doc
    case "Sequence":
      return HelpDoc.sequence(tidy(app, doc.left), tidy(app, doc.right))
    case "DescriptionList": {
      const [first, ...rest] = doc.definitions.map(([term, block]): [Span.Span, HelpDoc.HelpDoc] => [
        term,
        tidy(app, block)
      ])
      return HelpDoc.descriptionList([first!, ...rest])
    }
    case "Enumeration":
      return commandList(app, doc)
    case "Empty":
    case "Header":
      return doc
  }
}

const builtIns: HelpDoc.HelpDoc = HelpDoc.descriptionList([
  [Span.text("--help, -h"), HelpDoc.p("show this help (for a subcommand: `weft-demo <subcommand> --help`)")],
  [Span.text("--version"), HelpDoc.p("print the version")],
  [
    Span.text("--log-level level"),
    HelpDoc.p("the least severe log level printed: all, trace, debug, info, warning, error, fatal, none")
  ],
  [Span.text("--completions shell"), HelpDoc.p("print a completion script for bash, fish or zsh")]
])

/** Whether text for `stream` may have colour: a terminal, and `NO_COLOR` unset or empty. */
export const colourFor = (stream: { readonly isTTY?: boolean | undefined }): boolean =>
  stream.isTTY === true && (process.env["NO_COLOR"] ?? "") === ""

/** Renders help text, with ANSI colour codes or without. */
export const render = (doc: HelpDoc.HelpDoc, colour: boolean): string => {
  const ansi = HelpDoc.toAnsiDoc(doc)
  return colour ? AnsiDoc.render(ansi, { style: "pretty" }) : Doc.render(Doc.unAnnotate(ansi), { style: "pretty" })
}

/** The help for one command, as `--help` prints it. */
export const helpText = (app: App, help: { readonly usage: Usage.Usage; readonly helpDoc: HelpDoc.HelpDoc }) => {
  const usage = Usage.enumerate(help.usage, config).map((span) => {
    const line = spanText(span)
    return line === app.name || line.startsWith(`${app.name} `) ? line : `${app.name} ${line}`
  })
  return HelpDoc.blocks([
    HelpDoc.p(`${app.name} ${app.version}: ${app.summary}`),
    HelpDoc.h1("USAGE"),
    ...usage.map((line) => HelpDoc.p(`$ ${line}`)),
    tidy(app, help.helpDoc),
    HelpDoc.h1("GLOBAL OPTIONS"),
    builtIns
  ])
}

const refuse = (doc: HelpDoc.HelpDoc) =>
  Effect.zipRight(
    Console.error(render(doc, colourFor(process.stderr))),
    Effect.fail(ValidationError.invalidValue(doc))
  )

/**
 * `Command.run` for `command`, with help, version and parse errors printed as the module
 * documentation says. Bad arguments print what is wrong and fail with a `ValidationError`
 * (nothing runs).
 */
export const run = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>, app: App) => {
  const runCommand = Command.run(command, { name: app.name, version: app.version, summary: Span.text(app.summary) })
  return (
    argv: ReadonlyArray<string>
  ): Effect.Effect<void, E | ValidationError.ValidationError, R | CliApp.CliApp.Environment> =>
    Effect.gen(function*() {
      const parsed = yield* Effect.either(Descriptor.parse(command.descriptor, [app.name, ...argv.slice(2)], config))
      if (Either.isLeft(parsed)) return yield* refuse(parsed.left.error)
      const directive = parsed.right
      if (Directive.isUserDefined(directive)) {
        const [unknown] = directive.leftover
        return yield* unknown === undefined
          ? runCommand(argv)
          : refuse(HelpDoc.p(`Received unknown argument: '${unknown}'`))
      }
      const builtIn = directive.option
      switch (builtIn._tag) {
        case "ShowHelp":
          return yield* Console.log(render(helpText(app, builtIn), colourFor(process.stdout)))
        case "ShowVersion":
          return yield* Console.log(app.version)
        case "ShowWizard":
          return yield* refuse(HelpDoc.p(`${app.name} has no wizard mode: see ${app.name} --help`))
        case "ShowCompletions":
        case "SetLogLevel":
          return yield* runCommand(argv)
      }
    }).pipe(Effect.provide(CliConfig.layer(config)))
}
