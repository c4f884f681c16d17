export declare const fnv1a: (size: number) => number
