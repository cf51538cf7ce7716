// Lab Desk browser scenario for the apps driver: sign in, read and search tickets, comment,
// change a status (ajax), open a ticket with an attachment, sign out. The page's own script
// long-polls notifications and sends analytics beacons while the user reads.
const USERS = [['alice', 'alice-pw'], ['bob', 'bob-pw'], ['carol', 'carol-pw'], ['dave', 'dave-pw']];
const WORDS = ['vpn', 'printer', 'laptop', 'email', 'badge', 'wiki', 'monitor', 'share'];
const pick = (rnd, a) => a[Math.floor(rnd() * a.length)];
const think = (page, rnd, lo = 800, hi = 4000) => page.waitForTimeout(lo + rnd() * (hi - lo));

export async function browse(page, base, rnd) {
  await page.goto(base + '/');
  await think(page, rnd);
  const [user, pw] = pick(rnd, USERS);
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', rnd() < 0.1 ? 'typo-' + pw : pw);
  await Promise.all([page.waitForLoadState('load'), page.click('#login button[type=submit]')]);
  if (page.url().includes('/login')) {            // mistyped: try again
    await think(page, rnd);
    await page.fill('#username', user);
    await page.fill('#password', pw);
    await Promise.all([page.waitForLoadState('load'), page.click('#login button[type=submit]')]);
  }
  const steps = 6 + Math.floor(rnd() * 10);
  for (let i = 0; i < steps; i++) {
    const a = rnd();
    if (a < 0.25) {
      await page.goto(base + '/tickets');
      const links = await page.$$('#tickets a');
      if (links.length) await Promise.all([page.waitForLoadState('load'), pick(rnd, links).click()]);
    } else if (a < 0.4) {
      await page.goto(base + '/tickets');
      await page.click('#q');
      await page.keyboard.type(pick(rnd, WORDS), { delay: 120 + rnd() * 150 });   // autocomplete ajax per key
      await think(page, rnd, 500, 1500);
      await page.keyboard.press('Enter');
      await page.waitForLoadState('load');
    } else if (a < 0.55) {
      await page.goto(base + '/tickets/' + (1 + Math.floor(rnd() * 14)));
      if (await page.$('#comment')) {
        await page.fill('#text', pick(rnd, ['Thanks, works again.', 'Same problem on my machine', 'Any update on this?', 'Restarted it twice.']));
        await Promise.all([page.waitForLoadState('load'), page.click('#comment button')]);
      }
    } else if (a < 0.7) {
      await page.goto(base + '/tickets/' + (1 + Math.floor(rnd() * 12)));
      if (await page.$('#status')) await page.selectOption('#status', pick(rnd, ['open', 'pending', 'resolved']));
    } else if (a < 0.8) {
      await page.goto(base + '/tickets/new');
      await page.fill('#title', pick(rnd, WORDS) + ' not working in room ' + (100 + Math.floor(rnd() * 300)));
      await page.fill('#body', 'Hello,\nsince this morning it fails.\nThanks');
      await page.selectOption('#priority', pick(rnd, ['low', 'normal', 'high']));
      if (rnd() < 0.5) {
        const bytes = Buffer.alloc(2000 + Math.floor(rnd() * 30000));
        for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(rnd() * 256);
        await page.setInputFiles('#attachment', { name: 'screenshot.png', mimeType: 'image/png', buffer: bytes });
      }
      await Promise.all([page.waitForLoadState('load'), page.click('#newticket button')]);
    } else {
      const q = new URLSearchParams({ q: rnd() < 0.5 ? '' : pick(rnd, WORDS), status: pick(rnd, ['', 'open', 'pending', 'closed']), sort: pick(rnd, ['updated', 'id', 'priority']) });
      await page.goto(base + '/tickets?' + q);
    }
    await think(page, rnd, 2000, 9000);
  }
  if (rnd() < 0.6) {
    await page.goto(base + '/tickets');
    await Promise.all([page.waitForLoadState('load'), page.click('header form.inline button')]);
  }
}
