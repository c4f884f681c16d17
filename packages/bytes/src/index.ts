/**
 * @since 0.1.0
 */
export * as Buf from "./Buf.js"

/**
 * @since 0.1.0
 */
export * as Bytes from "./Bytes.js"

/**
 * @since 0.1.0
 */
export * as BytesMut from "./BytesMut.js"

/**
 * @since 0.1.0
 */
export * as LengthDelimited from "./LengthDelimited.js"

/**
 * @since 0.1.0
 */
export * as Lines from "./Lines.js"
