export * as Dispatcher from "./Dispatcher.js"
