// MediaWiki: readers follow links and search (the search box asks rest.php for title suggestions
// while typing); editors log in, edit with the WikiEditor toolbar, preview, save, and look at
// history, diffs and recent changes.
const users = ['alice', 'bob', 'carol', 'dave'];
const titles = ['Main_Page', 'Backup_policy', 'Onboarding', 'VPN_setup', 'Release_process', 'Incident_response', 'Coffee_machine', 'Office_map',
    'Printer_troubleshooting', 'Code_review_guide', 'Database_maintenance', 'On-call_rota', 'Travel_expenses', 'Glossary'];

export async function browse(page, base, rnd) {
    const user = users[(rnd.user - 1) % users.length];
    await page.goto(`${base}/index.php/${rnd.pick(titles)}`);
    if (rnd() < 0.7 && await page.locator('#pt-login a, #pt-login-2 a').count() > 0) {
        await page.goto(`${base}/index.php?title=Special:UserLogin&returnto=Main_Page`);
        await page.fill('#wpName1', user);
        await page.fill('#wpPassword1', `pw-${user}-2024`);
        await rnd.think(page, 500, 1500);
        await Promise.all([page.waitForLoadState(), page.click('#wpLoginAttempt')]);
    }
    for (let i = rnd.int(2, 5); i > 0; i--) {
        await rnd.think(page);
        const r = rnd();
        if (r < 0.35) {
            const links = [];
            for (const l of await page.locator('#mw-content-text a[href^="/index.php/"]:not(.new)').all()) if (await l.isVisible()) links.push(l);
            if (links.length) await Promise.all([page.waitForLoadState(), rnd.pick(links).click()]);
            else await page.goto(`${base}/index.php/${rnd.pick(titles)}`);
        } else if (r < 0.5) {
            const box = page.locator('#searchInput').first();
            if (await box.count() && await box.isVisible()) {
                await box.click();
                await box.type(rnd.pick(['backup', 'vpn', 'release', 'on-call', 'printer', 'review']), { delay: 180 });
                await rnd.think(page, 800, 2000);
                await box.press('Enter');
                await page.waitForLoadState();
            } else await page.goto(`${base}/index.php?search=${rnd.pick(['backup', 'vpn', 'team'])}&title=Special%3ASearch&fulltext=1`);
        } else if (r < 0.75) {
            const title = rnd.pick(titles.slice(1));
            await page.goto(`${base}/index.php?title=${title}&action=edit`);
            const box = page.locator('#wpTextbox1');
            if (await box.count()) {
                await box.click();
                await page.keyboard.press('Control+End');
                await page.keyboard.type(`\n* Checked on ${new Date().toISOString().slice(0, 10)} by ${user}: ${rnd.pick(['ok', 'needs update', 'see ticket'])} #${rnd.int(100, 999)}`, { delay: 25 });
                await page.fill('#wpSummary', rnd.pick(['small fix', 'update', 'checked', '']));
                if (rnd() < 0.3) {
                    await Promise.all([page.waitForLoadState(), page.click('#wpPreview')]);
                    await rnd.think(page, 1000, 3000);
                }
                await Promise.all([page.waitForLoadState(), page.click('#wpSave')]);
            }
        } else if (r < 0.85) {
            const title = rnd.pick(titles);
            await page.goto(`${base}/index.php?title=${title}&action=history`);
            const diff = page.locator('a.mw-changeslist-diff, a:has-text("prev")').first();
            if (await diff.count()) await Promise.all([page.waitForLoadState(), diff.click()]);
        } else {
            await page.goto(`${base}/index.php/Special:RecentChanges?hidebots=${rnd() < 0.5 ? 0 : 1}&limit=50&days=7`);
        }
    }
}
