// Node.js baseline: child_process.fork IPC (the channel Electron-style apps on Node would use).
//   node fork-parent.js pingpong <bytes> <warmup> <count>   -> {"p50":..,"p90":..,"p99":..,"p999":..} (µs)
//   node fork-parent.js flood <bytes> <count> [<warmup>]    -> {"nanos":..,"count":..} (one-way, child to parent;
//                                                              the clock starts once <warmup> messages arrived)
'use strict';
const { fork } = require('child_process');
const path = require('path');

const [mode, bytesArg, a, b] = process.argv.slice(2);
const bytes = Number(bytesArg);
const data = 'x'.repeat(bytes);
const child = fork(path.join(__dirname, 'fork-child.js'), [], { serialization: 'json' });

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function done(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  child.disconnect();
}

if (mode === 'pingpong') {
  const warmup = Number(a);
  const count = Number(b);
  const samples = new Float64Array(count);
  let i = 0;
  let t0 = 0n;
  child.on('message', (m) => {
    const t = process.hrtime.bigint() - t0;
    if (m.d.length !== bytes) throw new Error('echo returned ' + m.d.length);
    if (i >= warmup) samples[i - warmup] = Number(t) / 1000;
    i++;
    if (i < warmup + count) {
      t0 = process.hrtime.bigint();
      child.send({ d: data });
    } else {
      const sorted = Array.from(samples).sort((x, y) => x - y);
      done({ count, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9), max: sorted[sorted.length - 1] });
    }
  });
  t0 = process.hrtime.bigint();
  child.send({ d: data });
} else if (mode === 'flood') {
  const count = Number(a);
  const warmup = Number(b || 0);
  let received = 0;
  let t0 = process.hrtime.bigint();
  child.on('message', (m) => {
    received++;
    if (received === warmup) t0 = process.hrtime.bigint();
    if (received === warmup + count) done({ nanos: Number(process.hrtime.bigint() - t0), count });
  });
  child.send({ flood: warmup + count, bytes });
} else {
  throw new Error('mode: pingpong | flood');
}
