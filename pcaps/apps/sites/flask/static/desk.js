// Lab Desk front end: autocomplete, status changes over ajax, long-polled notifications, analytics beacon.
(function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const cid = localStorage.getItem('ld_cid') || (Math.random().toString(36).slice(2) + '.' + Date.now());
  localStorage.setItem('ld_cid', cid);
  document.cookie = '_ld_cid=' + cid + '; path=/; max-age=31536000; SameSite=Lax';
  document.cookie = 'ld_tz=' + encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone) + '; path=/';
  const beacon = (ev) => {
    const p = new URLSearchParams({ v: '2', tid: 'LD-LAB-1', cid, t: ev, dl: location.href, dr: document.referrer,
      dt: document.title, sr: screen.width + 'x' + screen.height, vp: innerWidth + 'x' + innerHeight, ul: navigator.language,
      z: String(Math.floor(Math.random() * 1e12)), _s: String(performance.now() | 0) });
    const img = new Image(); img.src = '/collect?' + p;
  };
  beacon('pageview');
  addEventListener('pagehide', () => navigator.sendBeacon('/collect?v=2&t=timing&tid=LD-LAB-1&cid=' + cid,
    JSON.stringify({ load: performance.now() | 0, nav: performance.getEntriesByType('navigation').length })));
  const q = document.getElementById('q'), sug = document.getElementById('suggest');
  if (q) q.addEventListener('input', async () => {
    if (q.value.length < 2) { sug.innerHTML = ''; return; }
    const r = await fetch('/ajax/search?term=' + encodeURIComponent(q.value), { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    const items = await r.json();
    sug.innerHTML = items.map(i => '<li><a href="/tickets/' + i.id + '">' + i.label.replace(/</g, '&lt;') + '</a></li>').join('');
  });
  const st = document.getElementById('status');
  if (st) st.addEventListener('change', async () => {
    await fetch('/ajax/tickets/' + st.dataset.id + '/status', { method: 'POST', headers: { 'Content-Type': 'application/json',
      'X-CSRFToken': token, 'X-Requested-With': 'XMLHttpRequest' }, body: JSON.stringify({ status: st.value }) });
  });
  const bell = document.getElementById('bell');
  if (bell) (async function poll(since) {
    try {
      const r = await fetch('/ajax/notifications?since=' + since + '&timeout=25', { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
      if (r.status === 200) { const d = await r.json(); bell.textContent = String(+bell.textContent + d.events.length); since = d.cursor; }
      setTimeout(() => poll(since), 500);
    } catch (e) { setTimeout(() => poll(since), 5000); }
  })(0);
})();
