// A headless Chromium agent for Switchboard's end-to-end tests.
//
//   node e2e/webrtc/agent.mjs <base-url> <fake-microphone.wav>
//
// Opens the server's test softphone (<base-url>/softphone.html), then takes one JSON command
// per line on stdin and answers each with one JSON line on stdout:
//   {"op":"eval","js":"<expression>"}   -> {"ok":true,"value":...} | {"ok":false,"error":"..."}
//   {"op":"reload"}                     -> reloads the page (the call must survive it)
//   {"op":"close"}
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const [base, wav] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const context = await browser.newContext();
const page = await context.newPage();
page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
await page.goto(`${base}/softphone.html`);

const reply = (o) => process.stdout.write(JSON.stringify(o) + '\n');
reply({ ok: true, value: 'started' });
for await (const line of createInterface({ input: process.stdin })) {
  let cmd;
  try { cmd = JSON.parse(line); } catch { reply({ ok: false, error: 'bad command' }); continue; }
  try {
    if (cmd.op === 'eval') {
      reply({ ok: true, value: (await page.evaluate(cmd.js)) ?? null });
    } else if (cmd.op === 'reload') {
      await page.reload();
      reply({ ok: true, value: null });
    } else if (cmd.op === 'close') {
      reply({ ok: true, value: null });
      break;
    } else {
      reply({ ok: false, error: 'unknown op' });
    }
  } catch (e) {
    reply({ ok: false, error: String(e && e.message || e) });
  }
}
await browser.close();
