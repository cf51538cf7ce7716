// DokuWiki: a team member reads pages, searches, edits a section, checks recent changes and the
// media manager. Logged-in users keep their session between visits.
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const pages = ['start', 'ops:runbook', 'ops:backups', 'ops:oncall', 'dev:api', 'dev:release-notes', 'dev:coding-style', 'team:contacts', 'team:meetings', 'howto:vpn', 'howto:printer'];

export async function browse(page, base, rnd) {
    const user = users[(rnd.user - 1) % users.length];
    await page.goto(`${base}/doku.php?id=${rnd.pick(pages)}`);
    if (await page.locator('a.action.login, a[href*="do=login"]').count() > 0 && rnd() < 0.85) {
        await page.goto(`${base}/doku.php?id=start&do=login`);
        await page.fill('input[name="u"]', user);
        await page.fill('input[name="p"]', `pw-${user}-2024`);
        await rnd.think(page, 500, 1500);
        await Promise.all([page.waitForLoadState(), page.click('#dw__login button[type="submit"], #dw__login input[type="submit"]')]);
    }
    for (let i = rnd.int(2, 5); i > 0; i--) {
        await rnd.think(page);
        const r = rnd();
        if (r < 0.45) {
            const links = await page.locator('div.page a.wikilink1').all();
            if (links.length) await Promise.all([page.waitForLoadState(), rnd.pick(links).click()]);
            else await page.goto(`${base}/doku.php?id=${rnd.pick(pages)}`);
        } else if (r < 0.6) {
            await page.fill('#qsearch__in', rnd.pick(['backup', 'api', 'vpn', 'release', 'oncall', 'printer', 'step 3']));
            await rnd.think(page, 800, 2000);   // the quick search asks ajax while typing
            await page.press('#qsearch__in', 'Enter');
            await page.waitForLoadState();
        } else if (r < 0.8) {
            const id = rnd.pick(pages);
            await page.goto(`${base}/doku.php?id=${id}&do=edit`);
            const area = page.locator('#wiki__text');
            if (await page.locator('#edit__summary').count()) {          // read-only for visitors
                await area.click();
                await page.keyboard.press('Control+End');
                await page.keyboard.type(`\n  * ${new Date().toISOString().slice(0, 10)}: checked by ${user}, ticket #${rnd.int(1000, 9999)}\n`, { delay: 20 });
                await page.fill('#edit__summary', rnd.pick(['typo', 'update', 'added note', 'ticket link', '']));
                await rnd.think(page, 1000, 3000);
                await Promise.all([page.waitForLoadState(), page.click('button[name="do[save]"], input[name="do[save]"]')]);
            }
        } else if (r < 0.9) {
            await page.goto(`${base}/doku.php?id=start&do=recent`);
        } else {
            await page.goto(`${base}/doku.php?id=start&do=media&ns=bot`);
        }
    }
    if (rnd() < 0.15) await page.goto(`${base}/doku.php?id=start&do=logout`);
}
