/**
 * The page a phone's browser opens from the kiosk's QR code: one button that picks a fresh
 * random visitor commitment, checks in with the token from the URL, and offers the signed
 * attestation as a file to keep (an app would store it in its wallet instead).
 */
import { escapeHtml } from './page.js';

export function checkinPhonePage(opts: { venueName: string }): string {
  const name = escapeHtml(opts.venueName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Check in · ${name}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; padding: 6vw; background: #101418; color: #f5f5f5; }
  h1 { font-size: 28px; } button { font-size: 24px; padding: .6em 1.2em; border-radius: 12px; border: 0; background: #3ddc84; }
  #result { margin-top: 1.5em; font-size: 18px; word-break: break-all; } .bad { color: #ff5c5c; }
</style>
</head>
<body>
<h1>Check in at ${name}</h1>
<p>The kiosk signs that you were here. Nothing that identifies you is sent: a fresh random number stands for you.</p>
<button id="go" data-testid="checkin">Check in</button>
<div id="result" role="status"></div>
<script>
const token = new URLSearchParams(location.search).get('token') || '';
document.getElementById('go').addEventListener('click', async () => {
  const out = document.getElementById('result');
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const visitor = '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  try {
    const res = await fetch('v1/checkins', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ visitor, token }) });
    const body = await res.json();
    if (res.status !== 201) { out.className = 'bad'; out.textContent = body.error.message + ' (' + body.error.code + ')'; return; }
    const blob = new Blob([JSON.stringify({ visitor, attestation: body.attestation }, null, 2)], { type: 'application/json' });
    out.className = '';
    out.innerHTML = 'Checked in. <a download="waymark-checkin.json">Keep your attestation</a>';
    out.querySelector('a').href = URL.createObjectURL(blob);
  } catch (err) { out.className = 'bad'; out.textContent = 'The kiosk did not answer.'; }
});
</script>
</body>
</html>
`;
}
