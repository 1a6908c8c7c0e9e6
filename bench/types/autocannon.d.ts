/** The part of autocannon 9's programmatic API the throughput benchmark uses; autocannon ships no types. */
declare module 'autocannon' {
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
  }

  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  interface Result {
    /** Seconds the run took. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    /** Per-second request counts; `total` is every completed request. */
    requests: Histogram;
    /** Milliseconds. */
    latency: Histogram;
  }

  export default function autocannon(options: Options): Promise<Result>;
}
