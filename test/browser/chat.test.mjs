// End-to-end test of the web app: the real scalechat binary (standalone, temp data dir) and Debian's Chromium
// driven by playwright-core. Two people sign up in separate browser contexts (one on a phone-sized screen), start a
// direct conversation and chat live; a reload shows the history; one of them goes offline, messages arrive
// meanwhile, and they appear once the browser is back online (the app reconnects and calls `sync`); they react to a
// message and pin it, each seeing the other's change live; one mentions the other (picked from the composer's
// autocomplete), who sees the mention badge and the message in the Mentions inbox; and one sends a picture, which the
// other sees as a preview; one replies in a thread on the other's message, who sees the reply count and the
// Threads badge live, opens the thread, and finds messages with search; one reports a message to the admins, and
// sees the note in the composer while a moderator has muted her.
//
// Environment: SCALECHAT_BIN (default ../../bin/scalechat, built by `make build` with the UI embedded),
// CHROMIUM (default /usr/bin/chromium), SCREENSHOT_OUT (also copy the desktop screenshot there, e.g. for the README).
// Artifacts (screenshots, server log) go to test/browser/artifacts/.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const BIN = process.env.SCALECHAT_BIN ?? resolve(here, '../../bin/scalechat')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const ARTIFACTS = join(here, 'artifacts')
const WAIT = 10_000 // the longest any single step may wait
/** A 16×16 red PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGM4oaFBEmIY1TCqYfhqAAB8MxgQ+Pjr0gAAAABJRU5ErkJggg==', 'base64')

let server // { proc, url, dir }
let browser

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

async function startServer() {
  assert.ok(existsSync(BIN), `${BIN} is missing: run make build`)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'scalechat-browser-'))
  const log = createWriteStream(join(ARTIFACTS, 'server.log'))
  const proc = spawn(BIN, ['serve', '--role', 'standalone', '--addr', `127.0.0.1:${port}`, '--data-dir', dir, '--log-level', 'warn'], {
    env: { ...process.env, SCALECHAT_PASSWORD_MEMORY_KIB: '1024', SCALECHAT_PRESENCE_GRACE: '300ms' }, // default limits
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  proc.stdout.pipe(log)
  proc.stderr.pipe(log)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 15_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`scalechat exited with ${proc.exitCode}; see artifacts/server.log`)
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
      if (r.ok) break
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('scalechat did not become healthy within 15 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  return { proc, url, dir }
}

/** Calls the REST API of the server as token (none when undefined) and returns the JSON answer (null for 204). */
async function api(method, path, token, body) {
  const headers = { 'Content-Type': 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  const r = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : null
}

async function stopServer(s) {
  if (!s) return
  if (s.proc.exitCode === null) {
    s.proc.kill('SIGTERM')
    await Promise.race([new Promise((r) => s.proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))])
    if (s.proc.exitCode === null) s.proc.kill('SIGKILL')
  }
  rmSync(s.dir, { recursive: true, force: true })
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  server = await startServer()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  })
})

after(async () => {
  await browser?.close().catch(() => {})
  await stopServer(server)
})

/** What the page's Content-Security-Policy blocked: the app must need nothing it forbids. */
const cspViolations = []

/** A person with their own browser context (cookies, storage, network) and page. */
async function person(viewport) {
  const context = await browser.newContext({ viewport, baseURL: server.url })
  context.setDefaultTimeout(WAIT)
  const page = await context.newPage()
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
  return { context, page }
}

async function signUp(page, username, displayName) {
  await page.goto('/')
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByLabel('Display name').fill(displayName)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('button', { name: 'New conversation' }).waitFor()
}

/** The texts of the messages in the open conversation's log, in order. */
async function bodies(page) {
  return page.getByRole('log').locator('article').evaluateAll((els) =>
    els.map((el) => {
      const body = el.querySelector('[data-body]')
      return (body?.textContent ?? '').trim()
    }),
  )
}

/** Waits until the log shows exactly these messages (in this order) at its end. */
async function waitForMessages(page, expected, timeout = WAIT) {
  const deadline = Date.now() + timeout
  let got = []
  while (Date.now() < deadline) {
    got = await bodies(page)
    if (expected.every((b, i) => got[got.length - expected.length + i] === b)) return got
    await page.waitForTimeout(100)
  }
  assert.fail(`messages: want ending with ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
}

async function send(page, text) {
  const box = page.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill(text)
  await box.press('Enter')
}

/** Runs one step of the scenario; a failure names the step. */
async function step(name, fn) {
  const t0 = Date.now()
  try {
    await fn()
  } catch (e) {
    e.message = `step "${name}": ${e.message}`
    throw e
  }
  console.log(`  ✓ ${name} (${Date.now() - t0} ms)`)
}

async function screenshot(page, name) {
  const path = join(ARTIFACTS, name)
  await page.screenshot({ path })
  return path
}

test('two people chat in the browser, live, across a reload and an offline spell', async () => {
  const started = Date.now()
  const alice = await person({ width: 1180, height: 760 })
  const bob = await person({ width: 390, height: 780 }) // a phone
  try {
    await step('both create accounts', async () => {
      await Promise.all([signUp(alice.page, 'alice', 'Alice Liddell'), signUp(bob.page, 'bob', 'Bob Builder')])
    })

    await step('alice finds bob and starts a direct conversation', async () => {
      const { page } = alice
      await page.getByRole('button', { name: 'New conversation' }).click()
      const dialog = page.getByRole('dialog', { name: 'New conversation' })
      await dialog.waitFor()
      await dialog.getByRole('searchbox', { name: 'Search people' }).fill('bob')
      await dialog.getByRole('button', { name: /@bob/ }).click()
      await dialog.waitFor({ state: 'detached' })
      await page.getByRole('heading', { name: 'Bob Builder' }).waitFor()
      assert.match(page.url(), /\/c\/[^/]+$/)
    })

    await step('they exchange messages live', async () => {
      await send(alice.page, 'Hi Bob!')
      await waitForMessages(alice.page, ['Hi Bob!'])
      // Confirmed by the server: the optimistic entry became the stored message.
      await alice.page.getByRole('log').locator('article[data-status="sent"]').first().waitFor()

      // Bob sees the conversation appear, unread, without reloading.
      const link = bob.page.getByRole('link', { name: /Alice Liddell.*1 unread/ })
      await link.waitFor()
      await link.click()
      await waitForMessages(bob.page, ['Hi Bob!'])
      await bob.page.getByRole('link', { name: /Alice Liddell/ }).waitFor({ state: 'hidden' }) // phone: one pane at a time

      // Bob types: Alice sees it.
      await bob.page.getByRole('textbox', { name: 'Message', exact: true }).fill('Hel')
      await alice.page.getByText('Bob Builder is typing…').waitFor()
      // Shift+Enter adds a line, Enter sends; the Send button works too.
      const box = bob.page.getByRole('textbox', { name: 'Message', exact: true })
      await box.fill('Hello Alice,')
      await box.press('Shift+Enter')
      await box.pressSequentially('nice to meet you')
      await box.press('Enter')
      await waitForMessages(alice.page, ['Hi Bob!', 'Hello Alice,\nnice to meet you'])
      await alice.page.getByText('Bob Builder is typing…').waitFor({ state: 'hidden' })
      await bob.page.getByRole('textbox', { name: 'Message', exact: true }).fill('How are you?')
      await bob.page.getByRole('button', { name: 'Send' }).click()
      await waitForMessages(alice.page, ['Hi Bob!', 'Hello Alice,\nnice to meet you', 'How are you?'])

      // Read marker: Bob has the conversation open, so Alice's message shows as seen.
      await alice.page.locator('[data-read-marker]').filter({ hasText: 'Seen' }).waitFor()
    })

    await step('edit, reply and delete show up on the other side', async () => {
      const mine = alice.page.getByRole('log').locator('article', { hasText: 'Hi Bob!' })
      await mine.hover()
      await mine.getByRole('button', { name: 'Edit message' }).click()
      const edit = alice.page.getByRole('textbox', { name: 'Edit message' })
      await edit.fill('Hi Bob! (from Wonderland)')
      await edit.press('Enter')
      await bob.page.getByRole('log').getByText('Hi Bob! (from Wonderland)').waitFor()
      await bob.page.getByRole('log').getByText('(edited)').waitFor()

      const question = alice.page.getByRole('log').locator('article', { hasText: 'How are you?' })
      await question.hover()
      await question.getByRole('button', { name: /Reply to/ }).click()
      await send(alice.page, 'Very well, thanks!')
      const reply = bob.page.getByRole('log').locator('article', { hasText: 'Very well, thanks!' })
      await reply.getByText('How are you?').waitFor() // quoted

      await send(alice.page, 'oops, wrong chat')
      const oops = alice.page.getByRole('log').locator('article', { hasText: 'oops, wrong chat' })
      await alice.page.locator('article[data-status="sent"]', { hasText: 'oops, wrong chat' }).waitFor()
      await oops.hover()
      await oops.getByRole('button', { name: 'Delete message' }).click()
      await bob.page.getByRole('log').locator('article', { hasText: 'Message deleted' }).waitFor()
      assert.equal(await bob.page.getByRole('log').getByText('oops, wrong chat').count(), 0)
    })

    await step('a reload shows the history', async () => {
      await alice.page.reload()
      await waitForMessages(alice.page, [
        'Hi Bob! (from Wonderland)',
        'Hello Alice,\nnice to meet you',
        'How are you?',
        'Very well, thanks!',
        'Message deleted',
      ])
      await alice.page.getByRole('heading', { name: 'Bob Builder' }).waitFor()
    })

    await step('messages sent while bob is offline appear when he is back', async () => {
      // Alice sees Bob online first.
      await alice.page.getByTestId('conversation-subtitle').filter({ hasText: 'online' }).waitFor()

      await bob.context.setOffline(true)
      await bob.page.getByRole('status').filter({ hasText: 'reconnecting…' }).waitFor()
      // The server notices (presence grace 300 ms) and tells Alice.
      await alice.page.getByTestId('conversation-subtitle').filter({ hasText: 'offline' }).waitFor()

      const missed = ['Are you there?', 'I will wait.', 'Third one, in order.']
      for (const m of missed) await send(alice.page, m)
      await waitForMessages(alice.page, missed)
      await bob.page.waitForTimeout(500)
      const whileOffline = await bodies(bob.page)
      for (const m of missed) assert.ok(!whileOffline.includes(m), `${m} reached Bob while he was offline`)

      await bob.context.setOffline(false)
      await bob.page.getByRole('status').filter({ hasText: 'reconnecting…' }).waitFor({ state: 'detached' })
      const got = await waitForMessages(bob.page, ['How are you?', 'Very well, thanks!', 'Message deleted', ...missed])
      assert.equal(new Set(got).size, got.length, `no message twice: ${JSON.stringify(got)}`)
      await alice.page.getByTestId('conversation-subtitle').filter({ hasText: 'online' }).waitFor()

      // And the conversation goes on live.
      await send(bob.page, 'Back online!')
      await waitForMessages(alice.page, [...missed, 'Back online!'])
    })

    await step('reactions and pins, live on both sides and after a reload', async () => {
      const inLog = (page, text) => page.getByRole('log').locator('article', { hasText: text })
      const chip = (page, text, count, me) => inLog(page, text).locator(`button[data-emoji="👍"][data-count="${count}"][data-me="${me}"]`)

      // Alice reacts to Bob's message through the picker.
      const hers = inLog(alice.page, 'Back online!')
      await hers.hover()
      await hers.getByRole('button', { name: 'Add reaction' }).click()
      const picker = hers.getByRole('dialog', { name: 'Add reaction' })
      await picker.getByRole('button', { name: 'React with thumbsup' }).click()
      await picker.waitFor({ state: 'detached' })
      await chip(alice.page, 'Back online!', 1, true).waitFor()

      // Bob sees it live, and adds his by clicking the chip: 2, highlighted as his.
      await chip(bob.page, 'Back online!', 1, false).click()
      const bobs = chip(bob.page, 'Back online!', 2, true)
      await bobs.waitFor()
      assert.equal(await bobs.getAttribute('aria-pressed'), 'true')
      await chip(alice.page, 'Back online!', 2, true).waitFor()

      // Alice pins it (either person may pin in a direct conversation); Bob sees the marker and it in the Pins panel.
      await hers.hover()
      await hers.getByRole('button', { name: 'Pin message' }).click()
      await hers.locator('[data-pin-marker]').waitFor()
      await inLog(bob.page, 'Back online!').locator('[data-pin-marker]').waitFor()
      await bob.page.getByRole('button', { name: 'Pins (1)' }).click()
      const panel = bob.page.getByRole('complementary', { name: 'Pinned messages' })
      await panel.getByRole('button', { name: /Back online!/ }).click()
      // The phone closes the panel and shows the message, highlighted.
      await panel.waitFor({ state: 'detached' })
      await bob.page.locator('article[data-highlighted]', { hasText: 'Back online!' }).waitFor()

      // A reload loads the tallies and the pin from history: each counted once.
      await bob.page.reload()
      await chip(bob.page, 'Back online!', 2, true).waitFor()
      await inLog(bob.page, 'Back online!').locator('[data-pin-marker]').waitFor()
      assert.equal(await inLog(bob.page, 'Back online!').locator('button[data-emoji]').count(), 1)
    })

    await step('channels: create, browse, join, leave', async () => {
      // Bob, on his phone, goes back to the list and creates a channel.
      await bob.page.getByRole('button', { name: 'Back to conversations' }).click()
      await bob.page.getByRole('button', { name: 'Browse channels' }).click()
      const bobDialog = bob.page.getByRole('dialog', { name: 'Browse channels' })
      await bobDialog.getByLabel('Channel name').fill('general')
      await bobDialog.getByLabel('Topic').fill('Anything goes')
      await bobDialog.getByRole('button', { name: 'Create channel' }).click()
      await bob.page.getByRole('heading', { name: 'general' }).waitFor()
      await send(bob.page, 'Welcome to #general')
      await waitForMessages(bob.page, ['Welcome to #general'])

      // Alice finds it, joins, reads the history and answers; she leaves, and joins again.
      const join = async () => {
        await alice.page.getByRole('button', { name: 'Browse channels' }).click()
        const dialog = alice.page.getByRole('dialog', { name: 'Browse channels' })
        await dialog.getByRole('searchbox', { name: 'Search channels' }).fill('gen')
        await dialog.getByRole('button', { name: 'Join general' }).click()
        await dialog.waitFor({ state: 'detached' })
        await alice.page.getByRole('heading', { name: 'general' }).waitFor()
      }
      await join()
      await waitForMessages(alice.page, ['Welcome to #general'])
      await send(alice.page, 'Glad to be here')
      await waitForMessages(bob.page, ['Welcome to #general', 'Glad to be here'])
      await alice.page.getByRole('button', { name: 'Leave' }).click()
      await alice.page.getByRole('link', { name: /^general/ }).waitFor({ state: 'detached' })
      await join()
      await waitForMessages(alice.page, ['Welcome to #general', 'Glad to be here'])
    })

    await step('groups: bob creates one with alice, who sees it with unread messages', async () => {
      await alice.page.getByRole('link', { name: /Bob Builder/ }).click()
      await alice.page.getByRole('heading', { name: 'Bob Builder' }).waitFor()

      await bob.page.getByRole('button', { name: 'Back to conversations' }).click()
      await bob.page.getByRole('button', { name: 'New conversation' }).click()
      const dialog = bob.page.getByRole('dialog', { name: 'New conversation' })
      await dialog.getByRole('button', { name: 'Group' }).click()
      await dialog.getByLabel('Group name').fill('Tea party')
      await dialog.getByRole('searchbox', { name: 'Search people' }).fill('ali')
      await dialog.getByRole('button', { name: /@alice/ }).click()
      await dialog.getByRole('button', { name: 'Create group' }).click()
      await bob.page.getByRole('heading', { name: 'Tea party' }).waitFor()
      await send(bob.page, 'Tea at four?')
      await send(bob.page, 'Bring cake, please')
      await waitForMessages(bob.page, ['Tea at four?', 'Bring cake, please'])

      await alice.page.getByRole('link', { name: /^Tea party, group, 2 unread/ }).waitFor()
      // Keyboard: arrow keys move through the conversation list.
      await alice.page.getByRole('link', { name: /^Tea party/ }).focus()
      await alice.page.keyboard.press('End')
      const focused = await alice.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))
      assert.match(focused ?? '', /^Bob Builder/)

      // Pinning in a group is for its admins and owners: Bob (owner) may, Alice (member) may not.
      await bob.page.getByRole('log').locator('article', { hasText: 'Tea at four?' }).getByRole('button', { name: 'Pin message' }).waitFor()
      await alice.page.getByRole('link', { name: /^Tea party/ }).click()
      const tea = alice.page.getByRole('log').locator('article', { hasText: 'Tea at four?' })
      await tea.hover()
      await tea.getByRole('button', { name: 'Add reaction' }).waitFor()
      assert.equal(await tea.getByRole('button', { name: 'Pin message' }).count(), 0)
      await alice.page.getByRole('link', { name: /^Bob Builder/ }).click()
      await alice.page.getByRole('heading', { name: 'Bob Builder' }).waitFor()
    })

    await step('mentions and attachments', async () => {
      // Bob goes back to his list, so that what comes into Tea party now is unread for him.
      await bob.page.getByRole('button', { name: 'Back to conversations' }).click()
      const tea = bob.page.getByRole('link', { name: /^Tea party/ })
      await tea.waitFor()
      assert.equal(await tea.locator('[data-mentions]').count(), 0)

      // Alice mentions him, picking him from the autocomplete with the keyboard.
      await alice.page.getByRole('link', { name: /^Tea party/ }).click()
      await alice.page.getByRole('heading', { name: 'Tea party' }).waitFor()
      const box = alice.page.getByRole('textbox', { name: 'Message', exact: true })
      await box.pressSequentially('Cake is ready, @bo')
      const suggestions = alice.page.getByRole('listbox', { name: 'Mention suggestions' })
      const option = suggestions.getByRole('option', { name: /@bob/ })
      await option.waitFor()
      assert.equal(await option.getAttribute('aria-selected'), 'true')
      assert.equal(await suggestions.getByRole('option').count(), 1) // not herself; no @channel for a plain member
      await box.press('Enter')
      await suggestions.waitFor({ state: 'detached' })
      assert.equal(await box.inputValue(), 'Cake is ready, @bob ')
      await box.pressSequentially('come and get it')
      await box.press('Enter')
      const sent = alice.page.locator('article[data-status="sent"]', { hasText: 'Cake is ready, @bob come and get it' })
      await sent.locator('[data-mention="bob"]').waitFor()

      // Bob's list shows the mention beside the unread count; the Mentions inbox has it.
      await tea.locator('[data-mentions="1"]').waitFor()
      await tea.locator('[data-unread="1"]').waitFor()
      await bob.page.getByRole('button', { name: /^Mentions/ }).click()
      const inbox = bob.page.getByRole('dialog', { name: 'Mentions' })
      const item = inbox.getByRole('button', { name: /Cake is ready, @bob come and get it/ })
      await item.waitFor()
      assert.match((await item.textContent()) ?? '', /Alice Liddell.*in Tea party/)
      // Opening it opens the conversation at the message, highlighted, and reads it: the badge goes.
      await item.click()
      await inbox.waitFor({ state: 'detached' })
      await bob.page.getByRole('heading', { name: 'Tea party' }).waitFor()
      const mentioned = bob.page.locator('article[data-highlighted]', { hasText: 'come and get it' })
      await mentioned.waitFor()
      await mentioned.locator('[data-mention="bob"][data-mention-me]').waitFor()
      await bob.page.getByRole('button', { name: 'Back to conversations' }).click()
      await tea.waitFor()
      await tea.locator('[data-mentions]').waitFor({ state: 'detached' })
      await tea.locator('[data-unread]').waitFor({ state: 'detached' })
      await tea.click()

      // Alice attaches a file that is not what its name says: the server refuses it, and she removes it.
      const input = alice.page.getByTestId('attach-input')
      await input.setInputFiles({ name: 'cake.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script></html>') })
      const refused = alice.page.getByRole('list', { name: 'Attached files' }).locator('li[data-upload="failed"]')
      await refused.getByRole('alert').waitFor()
      assert.notEqual(((await refused.getByRole('alert').textContent()) ?? '').trim(), '')
      await refused.getByRole('button', { name: 'Remove cake.png' }).click()
      await refused.waitFor({ state: 'detached' })

      // Then a real picture, sent without a caption: its name is the body; Bob sees its preview.
      await input.setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: PNG })
      await alice.page.locator('li[data-upload="done"]', { hasText: 'red.png' }).waitFor()
      await box.press('Enter')
      await alice.page.getByRole('list', { name: 'Attached files' }).waitFor({ state: 'detached' })
      const picture = bob.page.getByRole('log').locator('article', { hasText: 'red.png' }).locator('img[data-thumbnail]')
      await picture.waitFor()
      await bob.page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await picture.elementHandle(), { timeout: WAIT })
      assert.equal(await picture.getAttribute('alt'), 'red.png')
      // A click downloads the file itself (fetched with the token), under its name.
      const [download] = await Promise.all([bob.page.waitForEvent('download'), picture.click()])
      assert.equal(download.suggestedFilename(), 'red.png')
      const saved = await download.path()
      assert.deepEqual(readFileSync(saved), PNG)

      // Bob owns Tea party: he may say @channel, and the autocomplete offers it.
      const bobBox = bob.page.getByRole('textbox', { name: 'Message', exact: true })
      await bobBox.pressSequentially('@cha')
      await bob.page.getByRole('listbox', { name: 'Mention suggestions' }).getByRole('option', { name: /@channel/ }).waitFor()
      await bobBox.press('Escape')
      await bob.page.getByRole('listbox', { name: 'Mention suggestions' }).waitFor({ state: 'detached' })
      await bobBox.fill('')

      // He mutes it: it shows dimmed, and new messages raise no unread badge.
      await bob.page.getByRole('button', { name: /^Notifications: All messages/ }).click()
      await bob.page.getByRole('dialog', { name: 'Notification settings' }).getByLabel('Mute this conversation').click() // the box follows the server's answer (next line)
      await bob.page.getByRole('button', { name: 'Notifications: All messages, muted' }).waitFor()
      await bob.page.keyboard.press('Escape')
      await bob.page.getByRole('button', { name: 'Back to conversations' }).click()
      await tea.and(bob.page.locator('[data-muted]')).waitFor()
      await send(alice.page, 'Anyone there?')
      await tea.getByText('Anyone there?').waitFor() // the preview shows it…
      assert.equal(await tea.locator('[data-unread]').count(), 0) // …but no badge
      await tea.click()
      await bob.page.getByRole('heading', { name: 'Tea party' }).waitFor()
    })

    await step('threads and search', async () => {
      // Bob, on his phone, replies in a thread on Alice's message through the panel.
      const root = bob.page.getByRole('log', { name: /^Messages in/ }).locator('article', { hasText: 'Anyone there?' })
      await root.hover()
      await root.getByRole('button', { name: 'Reply in thread' }).click()
      const bobPanel = bob.page.getByRole('complementary', { name: 'Thread' })
      await bobPanel.locator('article[data-thread-root]', { hasText: 'Anyone there?' }).waitFor()
      const replyBox = bobPanel.getByRole('textbox', { name: 'Reply in thread' })
      await replyBox.fill('Yes, with marmalade sandwiches')
      await replyBox.press('Enter')
      await bobPanel.locator('article[data-status="sent"]', { hasText: 'marmalade sandwiches' }).waitFor()
      await bobPanel.getByRole('button', { name: 'Following', exact: true }).waitFor() // replying follows it

      // Alice sees the reply count under her message, live, and not the reply itself in the conversation.
      const aliceLog = alice.page.getByRole('log', { name: /^Messages in/ })
      const link = aliceLog.locator('article', { hasText: 'Anyone there?' }).locator('[data-thread-link][data-reply-count="1"]')
      await link.waitFor()
      assert.match((await link.textContent()) ?? '', /^1 reply · last reply/)
      assert.equal(await aliceLog.getByText('marmalade').count(), 0)
      // Her own message got a reply: she follows the thread, and the Threads badge counts it.
      const threadsButton = alice.page.getByRole('button', { name: 'Threads (1 unread)' })
      await threadsButton.click()
      const threads = alice.page.getByRole('dialog', { name: 'Threads' })
      const item = threads.locator('button[data-thread-item][data-unread]', { hasText: 'Anyone there?' })
      await item.waitFor()
      assert.match((await item.textContent()) ?? '', /1 new/)
      await item.click()
      await threads.waitFor({ state: 'detached' })
      const alicePanel = alice.page.getByRole('complementary', { name: 'Thread' })
      await alicePanel.locator('article[data-status="sent"]', { hasText: 'Yes, with marmalade sandwiches' }).waitFor()
      // Opening it read it: the badge goes.
      await alice.page.getByRole('button', { name: 'Threads', exact: true }).waitFor()
      await alicePanel.getByRole('button', { name: 'Close thread' }).click()
      await alicePanel.waitFor({ state: 'detached' })

      // Search: a malformed query shows the server's reason.
      await alice.page.getByRole('button', { name: 'Search messages' }).click()
      const search = alice.page.getByRole('dialog', { name: 'Search messages' })
      const q = search.getByRole('searchbox', { name: 'Search messages' })
      await q.fill('!!!')
      await q.press('Enter')
      await search.getByRole('alert').filter({ hasText: /must contain a word/ }).waitFor()
      // Bob's reply, found by a word of it: the match is marked; clicking opens the thread at it.
      await q.fill('marmalade')
      await q.press('Enter')
      const hit = search.locator('button[data-search-hit]', { hasText: 'sandwiches' })
      await hit.waitFor()
      assert.equal(await hit.locator('mark').textContent(), 'marmalade')
      assert.match((await hit.textContent()) ?? '', /Tea party.*Bob Builder · in a thread/)
      await hit.click()
      await search.waitFor({ state: 'detached' })
      await alicePanel.locator('article[data-highlighted]', { hasText: 'marmalade sandwiches' }).waitFor()
      await alicePanel.getByRole('button', { name: 'Close thread' }).click()

      // A top-level message from another conversation: the conversation opens at it, highlighted.
      await alice.page.getByRole('button', { name: 'Search messages' }).click()
      await q.fill('"nice to meet"')
      await q.press('Enter')
      const older = search.locator('button[data-search-hit]', { hasText: 'nice to meet you' })
      await older.waitFor()
      const marked = await older.locator('mark').allTextContents()
      assert.equal(marked.join(' '), 'nice to meet')
      await older.click()
      await alice.page.getByRole('heading', { name: 'Bob Builder' }).waitFor()
      await alice.page.locator('article[data-highlighted]', { hasText: 'nice to meet you' }).waitFor()
      await alice.page.getByRole('link', { name: /^Tea party/ }).click()
      await alice.page.getByRole('heading', { name: 'Tea party' }).waitFor()
      await bobPanel.getByRole('button', { name: 'Close thread' }).click()
      await bobPanel.waitFor({ state: 'detached' })
    })

    await step('screenshots', async () => {
      await alice.page.getByRole('textbox', { name: 'Message', exact: true }).fill('')
      const desktop = await screenshot(alice.page, 'chat.png')
      await screenshot(bob.page, 'chat-phone.png')
      if (process.env.SCREENSHOT_OUT) copyFileSync(desktop, process.env.SCREENSHOT_OUT)
    })

    await step('moderation: alice reports a message; bob, the owner, mutes her and lets her speak again', async () => {
      const { page } = alice
      await page.getByRole('link', { name: /^Tea party/ }).click()
      await page.getByRole('heading', { name: 'Tea party' }).waitFor()
      const article = page.locator('article', { hasText: 'Tea at four?' })
      await article.hover()
      page.once('dialog', (d) => d.accept('not funny'))
      await article.getByRole('button', { name: 'Report message' }).click()
      await page.getByText('Reported. Thank you: an admin will look at it.').waitFor()
      const key = spawnSync(BIN, ['apikey', 'create', 'admin', 'browser test', '--data-dir', server.dir], { encoding: 'utf8' })
      assert.equal(key.status, 0, key.stderr)
      const reports = await api('GET', '/v1/admin/reports?status=open', key.stdout.trim())
      assert.deepEqual(reports.items.map((r) => r.reason), ['not funny'], 'the admins see the report')

      const bobToken = (await api('POST', '/v1/sessions', undefined, { username: 'bob', password: 'correct horse battery' })).token
      const convs = await api('GET', '/v1/conversations', bobToken)
      const tea = convs.items.find((c) => c.title === 'Tea party')
      const aliceId = (await api('GET', '/v1/users?q=alice', bobToken)).items[0].id
      await api('POST', `/v1/conversations/${tea.id}/members/${aliceId}/mute`, bobToken, { durationSeconds: 600 })
      await page.getByTestId('muted-note').filter({ hasText: 'A moderator muted you here until' }).waitFor()
      await api('DELETE', `/v1/conversations/${tea.id}/members/${aliceId}/mute`, bobToken)
      await page.getByTestId('muted-note').waitFor({ state: 'detached' })
    })

    await step('sign out, and sign in again', async () => {
      const { page } = bob
      await page.getByRole('button', { name: 'Back to conversations' }).click()
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByLabel('Username').fill('bob')
      await page.getByLabel('Password').fill('not the password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor()
      await page.getByLabel('Password').fill('correct horse battery')
      await page.getByRole('button', { name: 'Sign in' }).click()
      for (const name of [/^Tea party/, /^general/, /^Alice Liddell/]) await page.getByRole('link', { name }).waitFor()
    })
    assert.deepEqual(cspViolations, [], 'the Content-Security-Policy blocked something the app uses')
  } catch (e) {
    await screenshot(alice.page, 'failure-alice.png').catch(() => {})
    await screenshot(bob.page, 'failure-bob.png').catch(() => {})
    throw e
  } finally {
    await alice.context.close()
    await bob.context.close()
    console.log(`browser test took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
})
