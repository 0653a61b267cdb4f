// A headless Chromium agent for Switchboard's end-to-end tests.
//
//   node e2e/webrtc/agent.mjs <base-url> <fake-microphone.wav> [path]
//
// Opens <base-url><path> (default: the test softphone, /softphone.html; the agent desktop is
// /), then takes one JSON command per line on stdin and answers each with one JSON line on
// stdout ({"ok":true,"value":...} or {"ok":false,"error":"..."}):
//   {"op":"eval","js":"<expression>"}
//   {"op":"reload"}                          reloads the page (the call must survive it)
//   {"op":"click","role":"button","name":"Answer"}   by ARIA role and accessible name
//   {"op":"fill","label":"Email","value":"..."}      the control with that label
//   {"op":"select","label":"Disposition","value":"resolved"}
//   {"op":"wait","text":"Alice Johnson"}     until the text shows (15 s), or
//   {"op":"wait","role":"button","name":"Answer"}
//   {"op":"text"}                            the page's visible text
//   {"op":"open"}                            a second tab of the same browser becomes the page
//   {"op":"tab","index":0}                   an earlier tab becomes the page again
//   {"op":"screenshot","path":"<file.png>"}
//   {"op":"close"}
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const [base, wav, path = '/softphone.html'] = process.argv.slice(2);

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
let page = await context.newPage();
const pages = [page];
const watch = (p) => {
  p.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  p.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
};
watch(page);
await page.goto(`${base}${path}`);
const exact = { exact: true };

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
    } else if (cmd.op === 'click') {
      await page.getByRole(cmd.role, { name: cmd.name, exact: true }).first().click({ timeout: 15000 });
      reply({ ok: true, value: null });
    } else if (cmd.op === 'fill') {
      await page.getByLabel(cmd.label, exact).first().fill(cmd.value, { timeout: 15000 });
      reply({ ok: true, value: null });
    } else if (cmd.op === 'select') {
      await page.getByLabel(cmd.label, exact).first().selectOption(cmd.value, { timeout: 15000 });
      reply({ ok: true, value: null });
    } else if (cmd.op === 'wait') {
      const target = cmd.role
        ? page.getByRole(cmd.role, { name: cmd.name, exact: true })
        : page.getByText(cmd.text);
      await target.first().waitFor({ timeout: cmd.timeout || 15000 });
      reply({ ok: true, value: null });
    } else if (cmd.op === 'text') {
      reply({ ok: true, value: await page.locator('body').innerText() });
    } else if (cmd.op === 'screenshot') {
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.screenshot({ path: cmd.path, fullPage: true });
      reply({ ok: true, value: null });
    } else if (cmd.op === 'tab') {
      page = pages[cmd.index];
      reply({ ok: true, value: null });
    } else if (cmd.op === 'open') {
      page = await context.newPage();
      pages.push(page);
      watch(page);
      await page.goto(`${base}${path}`);
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
