// page.cpp — the playground page (see page.h): a prompt, the sampling controls, Generate and
// Stop, the text as it streams with symbols/s, and the model card with its loss curve (drawn
// here with round ticks). It polls /v1/model, so it shows when --watch loads a new checkpoint.
// A classical-poem model (a vocabulary mostly of CJK ideographs) gets the poem controls the API
// has: a title (the prompt 《title》), form 5/7, lines, an acrostic, and for a simplified model
// the text shown in traditional script; an API error about a field shows beside it. At a
// phone's width the controls stack and the model card folds below.
#include "serve/page.h"

namespace charrnn::serve {

const std::string& page_html() {
  static const std::string html = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>charrnn</title>
<style>
:root { --ink:#1d2433; --muted:#6b7385; --line:#e3e6ee; --accent:#3b5bdb; --bg:#f7f8fb; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; color:var(--ink); background:var(--bg); }
header { padding:14px 24px; background:#fff; border-bottom:1px solid var(--line); display:flex; align-items:baseline; gap:16px; }
header h1 { font-size:20px; margin:0; } header .sub { color:var(--muted); }
#updated { margin-left:auto; color:#2b8a3e; font-weight:600; display:none; }
main { display:grid; grid-template-columns: minmax(0,1fr) 340px; gap:20px; padding:20px 24px; max-width:1200px; margin:auto; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:16px; }
textarea { width:100%; min-height:90px; font:15px/1.5 ui-monospace, "Noto Sans Mono CJK SC", monospace; padding:10px; border:1px solid var(--line); border-radius:8px; resize:vertical; }
.controls { display:grid; grid-template-columns: repeat(5, minmax(0,1fr)); gap:10px; margin:12px 0; }
.controls label { font-size:12px; color:var(--muted); display:flex; flex-direction:column; gap:4px; }
.controls input { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; width:100%; }
button { font:inherit; padding:8px 18px; border-radius:8px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button:disabled { opacity:.45; cursor:default; }
#output { white-space:pre-wrap; font:15px/1.6 ui-monospace, "Noto Sans Mono CJK SC", monospace; min-height:240px; margin-top:14px; padding:12px; background:#fbfbfd; border:1px solid var(--line); border-radius:8px; }
#output .prompt { color:var(--muted); }
.status { color:var(--muted); font-size:13px; margin-top:8px; min-height:20px; }
.error { color:#c92a2a; }
dl { display:grid; grid-template-columns:auto 1fr; gap:4px 12px; margin:0; font-size:14px; }
dt { color:var(--muted); } dd { margin:0; }
h2 { font-size:15px; margin:0 0 10px; }
#curve { width:100%; height:200px; margin-top:12px; }
.controls .poem-only { display:none; } body.poem .controls .poem-only { display:flex; } body.poem .prose-only { display:none; }
.controls select { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; width:100%; background:#fff; }
.field-error { color:#c92a2a; font-size:12px; min-height:0; }
.checkbox { flex-direction:row !important; align-items:center; gap:6px !important; }
.checkbox input { width:auto !important; }
body.poem #output { font:20px/1.9 "Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Serif SC", "Songti SC", serif; letter-spacing:.05em; }
body.poem #output .prompt { display:block; font-weight:600; color:var(--ink); margin-bottom:4px; }
@media (max-width: 520px) { header { flex-wrap:wrap; padding:12px 14px; } main { padding:12px; gap:12px; } .controls { grid-template-columns: 1fr 1fr; } #output { min-height:160px; max-height:60vh; overflow:auto; }
  body.poem #output { font-size:16px; letter-spacing:0; padding:10px; } }
#keyrow { display:none; margin-top:10px; } #keyrow input { width:100%; padding:6px 8px; border:1px solid var(--line); border-radius:6px; }
@media (max-width: 860px) { main { grid-template-columns: 1fr; } .controls { grid-template-columns: repeat(2, 1fr); } }
</style></head>
<body>
<header><h1>charrnn</h1><span class="sub" id="model-name">loading the model…</span><span id="updated">model updated</span></header>
<main>
<section class="card">
  <textarea id="prompt" class="prose-only" placeholder="Type a prompt, or leave it empty to start from a new line">And God said</textarea>
  <div class="controls">
    <label class="poem-only" style="grid-column: span 2">title 题目 <input id="title" type="text" value="春望" placeholder="春望"></label>
    <label class="poem-only">form 体 <select id="form"><option value="0">free</option><option value="5" selected>5 言</option><option value="7">7 言</option></select></label>
    <label class="poem-only">lines 句 <input id="lines" type="number" value="4" min="0" max="1000" step="1"><span class="field-error" id="err-lines"></span></label>
    <label class="poem-only">acrostic 藏头 <input id="acrostic" type="text" placeholder="春夏秋冬"><span class="field-error" id="err-acrostic"></span></label>
    <label class="poem-only checkbox" id="trad-row"><input id="traditional" type="checkbox"> 繁體 traditional</label>
    <label>temperature <input id="temperature" type="number" value="0.8" min="0" max="5" step="0.05"></label>
    <label>top-k <input id="top_k" type="number" value="0" min="0" step="1"></label>
    <label>top-p <input id="top_p" type="number" value="1" min="0.01" max="1" step="0.01"></label>
    <label>length <input id="length" type="number" value="400" min="1" step="1"></label>
    <label>seed <input id="seed" type="number" value="1" min="0" step="1"></label>
  </div>
  <button id="generate">Generate</button> <button id="stop" class="secondary" disabled>Stop</button>
  <div id="keyrow"><label class="sub">API key <input id="apikey" type="password" placeholder="the server's --api-key"></label></div>
  <div id="output"></div>
  <div class="status" id="status"></div>
</section>
<aside class="card">
  <h2>Model</h2>
  <dl id="card"></dl>
  <svg id="curve" viewBox="0 0 320 200" role="img" aria-label="validation loss"></svg>
</aside>
</main>
<script>
const $ = id => document.getElementById(id);
let controller = null, lastStep = null;
const headers = () => { const h = {'Content-Type': 'application/json'}; const k = $('apikey').value || localStorage.getItem('charrnn-key'); if (k) h['Authorization'] = 'Bearer ' + k; return h; };
function niceStep(span, count) { const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw))); const n = raw / mag; return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag; }
function ticks(lo, hi, count) { const s = niceStep(hi - lo || 1, count); const out = []; const top = Math.ceil(hi / s - 1e-9) * s; for (let v = Math.floor(lo / s) * s; v <= top + s * 1e-9; v += s) out.push(+v.toPrecision(12)); return out; }  // round ticks that cover every point
function fmt(v) { return Math.abs(v) >= 1e6 ? (v / 1e6) + 'M' : Math.abs(v) >= 1e3 ? (v / 1e3) + 'k' : String(v); }
// A classical-poem model: most of its vocabulary is CJK ideographs.
function isPoemModel(symbols) { const han = symbols.filter(s => /^[\u4e00-\u9fff\u3400-\u4dbf]$/.test(s)).length; return han > symbols.length / 2; }
function drawCurve(history) {
  const svg = $('curve'); const W = 320, H = 200, L = 44, R = 18, T = 10, B = 28;
  const pts = history.filter(h => isFinite(h.val_loss));
  if (!pts.length) { svg.innerHTML = '<text x="160" y="100" text-anchor="middle" fill="#6b7385" font-size="12">no evaluations yet</text>'; return; }
  const xs = pts.map(h => h.tokens), ys = pts.map(h => h.val_loss).concat(history.map(h => h.train_loss).filter(isFinite));
  const xt = ticks(0, Math.max(...xs), 4), yt = ticks(Math.min(...ys), Math.max(...ys), 4);
  const x0 = xt[0], x1 = xt[xt.length - 1], y0 = yt[0], y1 = yt[yt.length - 1];
  const X = v => L + (v - x0) / (x1 - x0 || 1) * (W - L - R), Y = v => H - B - (v - y0) / (y1 - y0 || 1) * (H - T - B);
  let s = '';
  for (const v of yt) s += `<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eef0f5"/><text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="10" fill="#6b7385">${+v.toFixed(3)}</text>`;
  for (const v of xt) s += `<text x="${X(v)}" y="${H - 10}" text-anchor="middle" font-size="10" fill="#6b7385">${fmt(v)}</text>`;
  const line = (key, color) => { const p = history.filter(h => isFinite(h[key])).map(h => `${X(h.tokens).toFixed(1)},${Y(h[key]).toFixed(1)}`).join(' '); return `<polyline points="${p}" fill="none" stroke="${color}" stroke-width="1.8"/>`; };
  s += line('train_loss', '#adb5bd') + line('val_loss', '#3b5bdb');
  s += `<text x="${W - R}" y="${T + 8}" text-anchor="end" font-size="10" fill="#3b5bdb">validation</text><text x="${W - R}" y="${T + 20}" text-anchor="end" font-size="10" fill="#868e96">train</text><text x="${L}" y="${T + 8}" font-size="10" fill="#6b7385">nats/char vs tokens</text>`;
  svg.innerHTML = s;
}
async function loadCard() {
  try {
    const r = await fetch('/v1/model', {headers: headers()});
    if (r.status === 401) { $('keyrow').style.display = 'block'; return; }
    const m = await r.json(); const a = m.architecture, st = m.training.state, best = m.best;
    $('model-name').textContent = m.id + ' · ' + a.cell + ' ' + a.layers + '×' + a.hidden;
    if (lastStep === null && isPoemModel(m.tokenizer.symbols)) {
      document.body.classList.add('poem'); document.documentElement.lang = 'zh';
      if (m.tokenizer.script !== 'simplified') $('trad-row').style.display = 'none';
    }
    const rows = [['model', m.id], ['architecture', `${a.cell}, ${a.layers} × ${a.hidden}, embedding ${a.embedding}`], ['parameters', a.parameters.toLocaleString()],
      ['vocabulary', a.vocab_size + ' symbols'], ['trained', `${st.step.toLocaleString()} steps, ${st.tokens.toLocaleString()} tokens`],
      ['best validation', best.val_loss == null ? '–' : `${best.val_loss.toFixed(4)} nats/char (step ${best.step})`], ['corpus', m.corpus.name]];
    $('card').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${String(v).replace(/</g, '&lt;')}</dd>`).join('');
    drawCurve(m.history);
    if (lastStep !== null && st.step !== lastStep) { $('updated').style.display = 'inline'; $('updated').textContent = `model updated: step ${st.step}, val ${best.val_loss == null ? '–' : best.val_loss.toFixed(4)}`; }
    lastStep = st.step;
  } catch (e) { $('model-name').textContent = 'cannot reach the server'; }
}
function request() {
  const body = {max_tokens: +$('length').value, temperature: +$('temperature').value, top_k: +$('top_k').value, top_p: +$('top_p').value, seed: +$('seed').value, stream: true};
  if (!document.body.classList.contains('poem')) { body.prompt = $('prompt').value; return [body, body.prompt]; }
  const title = $('title').value.trim();
  body.prompt = title ? `《${title}》\n` : '';
  body.form = +$('form').value; body.lines = +$('lines').value;
  if ($('acrostic').value.trim()) body.acrostic = $('acrostic').value.trim();
  if ($('traditional').checked && $('trad-row').style.display !== 'none') body.script = 'traditional';
  return [body, title ? `《${title}》` : ''];
}
async function generate() {
  const [body, shownPrompt] = request();
  const out = $('output'); out.innerHTML = ''; const p = document.createElement('span'); p.className = 'prompt'; p.textContent = shownPrompt; out.appendChild(p);
  const gen = document.createTextNode(''); out.appendChild(gen);
  $('status').textContent = ''; $('status').className = 'status';
  for (const e of document.querySelectorAll('.field-error')) e.textContent = '';
  controller = new AbortController(); $('generate').disabled = true; $('stop').disabled = false;
  const t0 = performance.now(); let count = 0, reason = '';
  try {
    const r = await fetch('/v1/completions', {method: 'POST', headers: headers(), body: JSON.stringify(body), signal: controller.signal});
    if (!r.ok) {
      const e = await r.json().catch(() => ({error: {message: r.statusText}})); if (r.status === 401) $('keyrow').style.display = 'block';
      const beside = e.error.param && $('err-' + e.error.param);  // the error beside the field it concerns
      if (beside) { beside.textContent = e.error.message; $('status').textContent = ''; controller = null; return; }
      throw new Error(e.error.message);
    }
    const reader = r.body.getReader(), dec = new TextDecoder(); let buf = '';
    for (;;) {
      const {value, done} = await reader.read(); if (done) break;
      buf += dec.decode(value, {stream: true}); let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const line = buf.slice(0, i).trim(); buf = buf.slice(i + 2);
        if (!line.startsWith('data: ')) continue; const data = line.slice(6); if (data === '[DONE]') continue;
        const c = JSON.parse(data).choices[0]; gen.appendData(document.body.classList.contains('poem') && gen.length === 0 ? c.text.replace(/^\n/, '') : c.text); count += [...c.text].length; if (c.finish_reason) reason = c.finish_reason;
        const secs = (performance.now() - t0) / 1000; $('status').textContent = `${count} symbols · ${(count / secs).toFixed(0)} symbols/s`;
      }
    }
    const secs = (performance.now() - t0) / 1000;
    $('status').textContent = `${count} symbols in ${secs.toFixed(2)} s · ${(count / secs).toFixed(0)} symbols/s · finished: ${reason || 'stopped'}`;
  } catch (e) {
    if (e.name === 'AbortError') $('status').textContent = `stopped after ${count} symbols`;
    else { $('status').textContent = e.message; $('status').className = 'status error'; }
  } finally { $('generate').disabled = false; $('stop').disabled = true; controller = null; }
}
$('generate').onclick = generate;
$('stop').onclick = () => controller && controller.abort();
$('apikey').onchange = () => { localStorage.setItem('charrnn-key', $('apikey').value); loadCard(); };
loadCard(); setInterval(loadCard, 5000);
</script></body></html>
)HTML";
  return html;
}

}  // namespace charrnn::serve
