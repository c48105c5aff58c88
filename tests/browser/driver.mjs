// One real browser (Debian's chromium or firefox-esr) driven by puppeteer-core, for tests/browser/runner.py.
// Protocol: one JSON command per line on stdin ({"id", "cmd", ...arguments}), one JSON answer per line on
// stdout ({"id", "ok": true, "result"} or {"id", "ok": false, "error"}). Commands run one at a time.
// Chromium is driven over the DevTools protocol, Firefox over WebDriver BiDi; both start as they come out of the
// box (no locale, no Accept-Language, no viewport chosen here: the caller sets the viewport per tab).
// Usage: node driver.mjs chromium|firefox EXECUTABLE
import fs from 'node:fs';
import readline from 'node:readline';

import puppeteer from 'puppeteer-core';

const [, , name, executablePath] = process.argv;
const AXE = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// Anything the libraries print goes to stderr: stdout carries only the protocol.
console.log = console.info = console.debug = console.warn = (...args) => process.stderr.write(args.join(' ') + '\n');
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');

const launchOptions =
  name === 'firefox'
    ? {browser: 'firefox', executablePath, headless: true, defaultViewport: null}
    : {
        browser: 'chrome',
        executablePath,
        headless: true,
        defaultViewport: null,
        // Debian's chromium as root in a container, on a machine without a network: no sandbox, no GPU, and no
        // background connections (component updates, sync), which a closed network refuses by the dozen.
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      };

const browser = await puppeteer.launch(launchOptions);
const tabs = new Map();
let nextTab = 1;
let front = null; // the tab in front (the newest, or the last one a command was for)

function tab(id) {
  const found = tabs.get(id);
  if (!found) throw new Error(`no tab ${id}`);
  return found;
}

function summary(response, page) {
  if (!response) return {status: null, url: page.url(), headers: {}};
  return {status: response.status(), url: page.url(), headers: response.headers()};
}

async function element(page, target, timeout, visible = true) {
  const handle = await page.waitForSelector(target, {visible, timeout});
  if (!handle) throw new Error(`nothing matches ${target}`);
  return handle;
}

const commands = {
  async version() {
    return {name, version: await browser.version(), userAgent: await browser.userAgent()};
  },
  // A tab in a context of its own (its own cookies and storage): one person.
  // `script` (JavaScript source), if given, runs in every document of the tab before the page's own scripts.
  async open({width, height, script}) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({width, height});
    if (script) await page.evaluateOnNewDocument(script);
    const id = nextTab++;
    front = id;
    const entry = {context, page, dialogs: [], acceptDialogs: true};
    // What the page's Content-Security-Policy refused (a script, style, image or connection it blocked).
    await page.evaluateOnNewDocument(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`),
      );
    });
    // alert/confirm/prompt would block the page: answer them (accept unless told) and keep what they said.
    page.on('dialog', async (dialog) => {
      entry.dialogs.push({type: dialog.type(), message: dialog.message()});
      await (entry.acceptDialogs ? dialog.accept() : dialog.dismiss()).catch(() => {});
    });
    tabs.set(id, entry);
    return id;
  },
  async close({tab: id}) {
    const {context} = tab(id);
    tabs.delete(id);
    await context.close();
    return null;
  },
  async goto({tab: id, url, timeout}) {
    const {page} = tab(id);
    return summary(await page.goto(url, {waitUntil: 'load', timeout}), page);
  },
  async reload({tab: id, timeout}) {
    const {page} = tab(id);
    return summary(await page.reload({waitUntil: 'load', timeout}), page);
  },
  // Click what `target` finds; with navigates, wait for the page it leads to (a link, a submit button).
  async click({tab: id, target, navigates, timeout}) {
    const {page} = tab(id);
    const handle = await element(page, target, timeout);
    if (!navigates) {
      await handle.click();
      return null;
    }
    const [response] = await Promise.all([page.waitForNavigation({waitUntil: 'load', timeout}), handle.click()]);
    return summary(response, page);
  },
  // Type into a field as a person does (select what is there, type the new text); <select> picks the option.
  async fill({tab: id, target, value, timeout}) {
    const {page} = tab(id);
    await page.locator(target).setTimeout(timeout).fill(value);
    return null;
  },
  async check({tab: id, target, checked, timeout}) {
    const {page} = tab(id);
    const handle = await element(page, target, timeout);
    if ((await handle.evaluate((input) => input.checked)) !== checked) await handle.click();
    return null;
  },
  async upload({tab: id, target, paths, timeout}) {
    const {page} = tab(id);
    const handle = await element(page, target, timeout, false);
    await handle.uploadFile(...paths);
    return null;
  },
  // Type text key by key where the focus is, after what is there (fill replaces it).
  async type({tab: id, text}) {
    await tab(id).page.keyboard.type(text);
    return null;
  },
  // A key or a chord ("Enter", "Control+Enter") in `target` (focused first) or wherever the focus is; with
  // navigates, wait for the page it leads to (a form sent from the keyboard).
  async press({tab: id, key, target, navigates, timeout}) {
    const {page} = tab(id);
    if (target) await (await element(page, target, timeout)).focus();
    const modifiers = key.split('+');
    const last = modifiers.pop();
    const chord = async () => {
      for (const modifier of modifiers) await page.keyboard.down(modifier);
      await page.keyboard.press(last);
      for (const modifier of modifiers.reverse()) await page.keyboard.up(modifier);
    };
    if (!navigates) {
      await chord();
      return null;
    }
    const [response] = await Promise.all([page.waitForNavigation({waitUntil: 'load', timeout}), chord()]);
    return summary(response, page);
  },
  async wait({tab: id, target, timeout, hidden}) {
    const {page} = tab(id);
    await page.waitForSelector(target, hidden ? {hidden: true, timeout} : {visible: true, timeout});
    return null;
  },
  // Until the JavaScript function `source`, called in the page with `args`, returns a true value.
  async until({tab: id, source, args, timeout}) {
    await tab(id).page.waitForFunction(`(${source})(...${JSON.stringify(args)})`, {timeout, polling: 100});
    return null;
  },
  // The visible text of what `target` finds (the whole page without one).
  async text({tab: id, target, timeout}) {
    const {page} = tab(id);
    const handle = await element(page, target || 'body', timeout);
    return handle.evaluate((node) => node.innerText);
  },
  async count({tab: id, target}) {
    return (await tab(id).page.$$(target)).length;
  },
  async attribute({tab: id, target, attribute, timeout}) {
    const handle = await element(tab(id).page, target, timeout, false);
    return handle.evaluate((node, attribute) => node.getAttribute(attribute), attribute);
  },
  // The dialogs shown since the last call; `accept` (if given) decides how the next ones are answered.
  async dialogs({tab: id, accept}) {
    const entry = tab(id);
    if (accept !== undefined && accept !== null) entry.acceptDialogs = accept;
    return entry.dialogs.splice(0);
  },
  async url({tab: id}) {
    return tab(id).page.url();
  },
  async content({tab: id}) {
    return tab(id).page.content();
  },
  // `source` is a JavaScript function; it is called in the page with `args` (JSON values).
  async evaluate({tab: id, source, args}) {
    return tab(id).page.evaluate(`(${source})(...${JSON.stringify(args)})`);
  },
  async screenshot({tab: id, path}) {
    await tab(id).page.screenshot({path, fullPage: true});
    return path;
  },
  // axe-core on the page as it is now: serious and critical WCAG 2.1 A/AA violations.
  async axe({tab: id}) {
    const {page} = tab(id);
    // Evaluated by the protocol, not through a <script> element: the page's Content-Security-Policy stays as it is.
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
    const violations = await page.evaluate(
      (tags) => window.axe.run(document, {runOnly: {type: 'tag', values: tags}}).then((result) => result.violations),
      WCAG_TAGS,
    );
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target)}));
  },
};

const input = readline.createInterface({input: process.stdin});
let queue = Promise.resolve();
input.on('line', (line) => {
  queue = queue.then(async () => {
    let message;
    try {
      message = JSON.parse(line);
      const command = commands[message.cmd];
      if (!command) throw new Error(`unknown command ${message.cmd}`);
      // One person at a time has the browser's focus, as at a desk: a command for another tab brings it to the
      // front first (Firefox does not type into, and stalls, a tab left in the background by a newer one).
      if (message.tab && message.tab !== front && message.cmd !== 'close' && tabs.has(message.tab)) {
        await tab(message.tab).page.bringToFront();
        front = message.tab;
      }
      send({id: message.id, ok: true, result: (await command(message)) ?? null});
    } catch (error) {
      send({id: message?.id ?? null, ok: false, error: String(error?.stack || error)});
    }
  });
});
input.on('close', () => {
  queue.then(async () => {
    await browser.close().catch(() => {});
    process.exit(0);
  });
});
send({id: 0, ok: true, result: {name, version: await browser.version()}});
