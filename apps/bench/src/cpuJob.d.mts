export declare const crc32: (size: number) => number
