// The forked side of fork-parent.js: echoes messages, or floods the parent on request.
'use strict';
process.on('message', (m) => {
  if (m.flood === undefined) {
    process.send(m);
    return;
  }
  const msg = { d: 'x'.repeat(m.bytes) };
  let sent = 0;
  // Honour the channel's backpressure: when send() returns false, go on from that send's callback.
  function pump() {
    while (sent < m.flood) {
      sent++;
      let resumed = false;
      const ok = process.send(msg, () => {
        if (!ok && !resumed) {
          resumed = true;
          pump();
        }
      });
      if (!ok) return;
    }
  }
  pump();
});
process.on('disconnect', () => process.exit(0));
