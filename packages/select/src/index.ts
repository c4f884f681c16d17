export * as Select from "./Select.js"
export * as SelectError from "./SelectError.js"
export * as Wait from "./Wait.js"
