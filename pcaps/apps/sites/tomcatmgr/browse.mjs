// Tomcat manager administrator: signs in with HTTP basic auth, reads the application list and
// server status, reloads or stops/starts an application, lists its sessions, deploys a .war
// through the upload form and sometimes undeploys one. Every GUI link and form carries the
// manager's CSRF nonce (org.apache.catalina.filters.CSRF_NONCE), as the real GUI does.
const pick = (rnd, a) => a[Math.floor(rnd() * a.length)];
const think = (page, rnd, lo = 1000, hi = 5000) => page.waitForTimeout(lo + rnd() * (hi - lo));

function fakeWar(rnd, name) {
  // a real zip with one JSP, written by hand (stored entries, CRC-32 computed)
  const files = [['index.jsp', `<%@ page contentType="text/html" %><html><body><h1>${name}</h1><%= new java.util.Date() %></body></html>\n`],
                 ['WEB-INF/web.xml', '<?xml version="1.0"?><web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>\n']];
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const parts = [], central = []; let off = 0;
  for (const [n, text] of files) {
    const data = Buffer.from(text), nm = Buffer.from(n), c = crc(data);
    const h = Buffer.alloc(30); h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(10, 4); h.writeUInt32LE(c, 14);
    h.writeUInt32LE(data.length, 18); h.writeUInt32LE(data.length, 22); h.writeUInt16LE(nm.length, 26);
    parts.push(h, nm, data);
    const ch = Buffer.alloc(46); ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(10, 6); ch.writeUInt32LE(c, 16);
    ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(nm.length, 28); ch.writeUInt32LE(off, 42);
    central.push(ch, nm); off += 30 + nm.length + data.length;
  }
  const cd = Buffer.concat(central), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...parts, cd, end]);
}

async function clickAndLoad(page, locator) {
  await Promise.all([page.waitForLoadState('load'), locator.click({ timeout: 20000 })]);
}

export async function browse(page, base, rnd) {
  const [user, pw] = rnd() < 0.5 ? ['admin', 'admin-Pw-1'] : ['ops', 'ops-Pw-2'];
  await page.setExtraHTTPHeaders({ Authorization: 'Basic ' + Buffer.from(user + ':' + pw).toString('base64') });
  await page.goto(base + '/manager/html');
  const steps = 4 + Math.floor(rnd() * 6);
  for (let i = 0; i < steps; i++) {
    const a = rnd();
    if (a < 0.2) {
      await page.goto(base + '/manager/html');
      await clickAndLoad(page, page.locator('a', { hasText: 'Server Status' }).first());
    } else if (a < 0.4) {
      await page.goto(base + '/manager/html');
      const rows = page.locator('form[action*="/manager/html/reload"] input[type=submit]');
      const n = await rows.count();
      if (n) await clickAndLoad(page, rows.nth(Math.floor(rnd() * n)));
    } else if (a < 0.55) {
      await page.goto(base + '/manager/html');
      const links = page.locator('a[href*="/manager/html/sessions"]');
      const n = await links.count();
      if (n) await clickAndLoad(page, links.nth(Math.floor(rnd() * n)));
    } else if (a < 0.7) {
      await page.goto(base + '/manager/html');
      const name = pick(rnd, ['wiki-export', 'timesheet', 'labdemo']);
      await page.setInputFiles('input[name=deployWar]', { name: name + '.war', mimeType: 'application/octet-stream', buffer: fakeWar(rnd, name) });
      await clickAndLoad(page, page.locator('form[action*="/manager/html/upload"] input[type=submit]'));
    } else if (a < 0.8) {
      await page.goto(base + '/manager/html');
      const forms = page.locator('form[action*="/manager/html/undeploy"][action*="path=/wiki-export"] input[type=submit], form[action*="/manager/html/undeploy"][action*="path=/labdemo"] input[type=submit]');
      if (await forms.count()) { page.once('dialog', d => d.accept()); await clickAndLoad(page, forms.first()); }
    } else if (a < 0.9) {
      await page.goto(base + '/manager/html');
      const forms = page.locator('form[action*="/manager/html/expire"]');
      const n = await forms.count();
      if (n) {
        const f = forms.nth(Math.floor(rnd() * n));
        await f.locator('input[name=idle]').fill(String(10 + Math.floor(rnd() * 50)));
        await clickAndLoad(page, f.locator('input[type=submit]'));
      }
    } else {
      await page.goto(base + '/manager/status');
      await clickAndLoad(page, page.locator('a', { hasText: 'Complete Server Status' }).first());
    }
    await think(page, rnd);
  }
}
