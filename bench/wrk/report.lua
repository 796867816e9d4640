-- Prints wrk's summary as one JSON line (prefixed WRK_JSON) for bench/lib/wrk.mjs to parse.
-- Latencies are in microseconds. errors.status counts responses with a status above 399.
function report_json(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"durationUs":%d,"requests":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"latencyMeanUs":%.1f,"latencyStdevUs":%.1f,' ..
    '"latencyMaxUs":%d,"p50Us":%d,"p75Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
