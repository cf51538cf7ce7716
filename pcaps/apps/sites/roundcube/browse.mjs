// Roundcube: a user logs in, reads messages in the preview pane, searches, flags and moves mail,
// writes a draft (saved over IMAP), opens the address book and settings, and leaves the mailbox
// open so the client polls for new mail.
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

export async function browse(page, base, rnd) {
    const user = users[(rnd.user - 1) % users.length];
    await page.goto(`${base}/?_task=mail&_mbox=INBOX`);
    if (await page.locator('#rcmloginuser').count()) {
        await page.fill('#rcmloginuser', user);
        await page.fill('#rcmloginpwd', `pw-${user}-2024`);
        await rnd.think(page, 500, 1500);
        await Promise.all([page.waitForLoadState(), page.click('#rcmloginsubmit')]);
    }
    await page.waitForSelector('#messagelist', { timeout: 30000 });
    await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => {});
    for (let i = rnd.int(2, 5); i > 0; i--) {
        await rnd.think(page, 2000, 8000);
        const r = rnd();
        if (r < 0.4) {
            const rows = await page.locator('#messagelist tbody tr').all();
            if (rows.length) await rnd.pick(rows).click();
            await rnd.think(page, 2000, 6000);
            if (rnd() < 0.3) await page.click('a.flag, #toolbar-menu a.flag, a:has-text("Mark")').catch(() => {});
        } else if (r < 0.55) {
            const q = page.locator('input[name="_q"]').first();
            await q.fill(rnd.pick(['invoice', 'meeting', 'build', 'report', 'alice']));
            await q.press('Enter');
            await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => {});
            await rnd.think(page, 2000, 5000);
            await page.click('#searchreset, a.reset', { timeout: 5000 }).catch(() => {});   // back to the whole mailbox
        } else if (r < 0.7) {
            await page.goto(`${base}/?_task=mail&_action=compose`);
            await page.waitForSelector('#compose-subject', { timeout: 30000 });
            await page.fill('#compose-subject', `${rnd.pick(['Re: plan', 'Question', 'Notes', 'Follow-up'])} ${rnd.int(1, 99)}`);
            await page.fill('#composebody', `Hi,\n\n${rnd.pick(['see you tomorrow', 'numbers attached soon', 'can we move the meeting?'])}\n\n${user}`);
            await rnd.think(page, 1000, 3000);
            await page.click('a.savedraft, button.savedraft, a:has-text("Save")').catch(() => {});
            await rnd.think(page, 2000, 4000);
            await page.goto(`${base}/?_task=mail&_mbox=INBOX`);
        } else if (r < 0.8) {
            await page.goto(`${base}/?_task=mail&_mbox=${rnd.pick(['Drafts', 'Sent', 'Trash', 'Archive', 'INBOX'])}`);
        } else if (r < 0.9) {
            await page.goto(`${base}/?_task=addressbook`);
            await rnd.think(page, 1000, 3000);
            await page.goto(`${base}/?_task=settings&_action=${rnd.pick(['preferences', 'folders', 'identities'])}`);
            await page.goto(`${base}/?_task=mail&_mbox=INBOX`);
        } else {
            await rnd.think(page, 30000, 70000);          // mailbox left open: refresh polling
        }
    }
    if (rnd() < 0.2) await page.click('a.logout').catch(() => {});
}
