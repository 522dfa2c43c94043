// The web page end to end in Debian's Chromium: sign in, chat with a streaming reply, stop one,
// start a conversation, settings, small and dark screens, sign out. Run by
// tests/test_server_browser.py with OS1_URL, OS1_KEY and OS1_ARTIFACTS set; exits non-zero with
// the reason on the first thing that is wrong. Screenshots go to OS1_ARTIFACTS.

import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.env.OS1_URL;
const key = process.env.OS1_KEY;
const out = process.env.OS1_ARTIFACTS;
mkdirSync(out, { recursive: true });

const began = Date.now();
function step(name) {
  console.log(`${((Date.now() - began) / 1000).toFixed(1)}s  ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.OS1_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 780 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    // A refused key is a 401 the browser logs by itself; anything else is a fault.
    if (message.type() === "error" && !message.text().includes("Failed to load resource")) {
      problems.push(`console: ${message.text()}`);
    }
  });

  // --- sign in ----------------------------------------------------------------------------------
  step("sign in");
  await page.goto(url);
  const keyBox = page.getByLabel("Your key");
  await keyBox.waitFor();
  check(await page.evaluate(() => document.activeElement.id === "login-key"),
    "the key box has the focus");
  await page.screenshot({ path: `${out}/login.png` });
  await keyBox.fill("os1_not-a-real-key");
  await page.getByRole("button", { name: "Come in" }).click();
  await page.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
  await keyBox.fill(key);
  await keyBox.press("Enter");

  // --- she greets, and says she is an AI --------------------------------------------------------
  step("she greets, and says she is an AI");
  const messages = page.locator("#messages");
  const greeting = messages.locator(".message.assistant").first();
  await greeting.waitFor();
  check((await greeting.textContent()).includes("I'm an AI"), "the greeting says she is an AI");
  check((await page.locator("#companion-name").textContent()) === "Sol", "her name is shown");
  check(await page.evaluate(() => document.querySelector("a, button, input, textarea")
    .classList.contains("skip")), "the skip link comes first");
  await page.locator("a.skip").focus();
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => document.activeElement.id === "composer-text"),
    "the skip link leads to the message box");

  // --- talk: the reply streams in, with a typing presence first ---------------------------------
  step("talk: the reply streams in, with a typing presence first");
  const box = page.getByRole("textbox", { name: "Message Sol" });
  async function say(text) {
    await box.fill(text);
    await box.press("Enter");
  }
  async function settled(count) {
    await page.waitForFunction(
      (n) => document.querySelectorAll("#messages .message.assistant:not(.streaming)").length >= n
        && !document.querySelector("#messages .message.streaming"),
      count,
    );
  }

  await say("I just got home from a long walk by the river.");
  await page.locator("#typing").waitFor({ state: "visible" });
  const streaming = messages.locator(".message.streaming .bubble");
  await streaming.waitFor();
  const lengths = [];
  for (let i = 0; i < 60 && (await streaming.count()); i += 1) {
    lengths.push(((await streaming.textContent().catch(() => "")) || "").length);
    if (lengths.length === 6) await page.screenshot({ path: `${out}/chat-streaming.png` });
    await page.waitForTimeout(20);
  }
  check(new Set(lengths.filter((n) => n > 0)).size >= 3, `the reply grew word by word (${lengths})`);
  await settled(2);
  check((await page.locator("#typing").isHidden()), "the typing presence goes away");
  await say("Mostly to myself. I needed the quiet after work.");
  await settled(3);
  const texts = await messages.locator(".message .bubble").allTextContents();
  check(texts.includes("That sounds peaceful. Was the river busy, or did you have it mostly to yourself?"),
    `her reply is shown (${texts})`);
  check((await page.locator("#conversation-title").textContent()).startsWith("I just got home"),
    "the conversation is named after its first message");
  const heartLine = page.locator("#companion-heart");
  await heartLine.waitFor();
  check((await heartLine.textContent()).startsWith("feels "), "her mood shows beside her name");
  await page.screenshot({ path: `${out}/chat.png` });

  // --- stop a reply with Escape: what she said so far is kept -----------------------------------
  step("stop a reply with Escape: what she said so far is kept");
  await say("Tell me a long story.");
  await streaming.waitFor();
  await page.waitForFunction(
    () => (document.querySelector("#messages .message.streaming .bubble")?.textContent || "").length > 10,
  );
  await box.press("Escape");
  await messages.locator(".message.assistant .meta", { hasText: "stopped" }).waitFor();

  // --- text is text: markup from anyone is shown, never run -------------------------------------
  step("text is text: markup from anyone is shown, never run");
  await say('<img src=x onerror="window.hacked=1"><b>bold?</b>');
  await settled(5);
  check((await messages.locator("img, b").count()) === 0, "no markup from messages became elements");
  check(!(await page.evaluate(() => window.hacked)), "no script from a message ran");
  check((await messages.textContent()).includes('You said: <img src=x onerror="window.hacked=1">'),
    "the markup is shown as text");

  // --- what she remembers: see a memory, forget it -----------------------------------------------
  step("what she remembers: see a memory, forget it");
  await page.getByRole("button", { name: "Memories" }).click();
  const memoriesDialog = page.getByRole("dialog", { name: "What Sol remembers" });
  await memoriesDialog.waitFor();
  await memoriesDialog.getByRole("searchbox", { name: "Search memories" }).fill("walk by the river");
  await memoriesDialog.getByRole("button", { name: "Search" }).click();
  const river = memoriesDialog.locator(".memory-list li", { hasText: "long walk by the river" });
  await river.first().waitFor();
  await page.screenshot({ path: `${out}/memories.png` });
  const before = await river.count();
  page.once("dialog", (confirm) => confirm.accept());
  await river.first().getByRole("button", { name: /^Forget/ }).click();
  await memoriesDialog.getByText("Forgotten.").waitFor();
  await memoriesDialog.getByRole("button", { name: "Search" }).click();
  await memoriesDialog.getByText(/memor|Nothing/).first().waitFor();
  await page.waitForFunction(() => document.getElementById("memory-status").textContent !== "Looking…");
  check((await river.count()) === before - 1, "the forgotten memory is gone");
  await page.keyboard.press("Escape");
  await memoriesDialog.waitFor({ state: "hidden" });

  // --- reload: still signed in, the conversation comes back from storage ------------------------
  step("reload: still signed in, the conversation comes back from storage");
  const shown = await messages.locator(".message").count();
  await page.reload();
  await messages.locator(".message").nth(shown - 1).waitFor();
  check((await messages.locator(".message").count()) === shown, "the same messages after a reload");

  // --- a new conversation -----------------------------------------------------------------------
  step("a new conversation");
  await page.getByRole("button", { name: "New conversation" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#conversation-list li").length === 2);
  await messages.locator(".message.assistant").first().waitFor();
  await page.getByRole("button", { name: /^I just got home/ }).click();
  await messages.locator(".message").nth(shown - 1).waitFor();

  // --- settings: rename her; make a key ---------------------------------------------------------
  step("settings: rename her; make a key");
  // A name learned since the page loaded (she asks for it in the chat) shows in settings.
  await page.evaluate(() => fetch("/api/me", {
    method: "PATCH", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Theodore" }),
  }));
  await page.getByRole("button", { name: "Settings" }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  await dialog.waitFor();
  await page.waitForFunction(() => document.getElementById("profile-name").value === "Theodore");
  await dialog.getByLabel("Name", { exact: true }).fill("Samantha");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.getByText("Saved.").waitFor();
  await dialog.getByRole("textbox", { name: "New key's label" }).fill("tavern");
  await dialog.getByRole("button", { name: "Create a key" }).click();
  await page.waitForFunction(() => document.getElementById("new-key-value").value.startsWith("os1_"));
  check(await dialog.getByLabel(/Your new key/).isVisible(), "a new key is shown once");
  await page.screenshot({ path: `${out}/settings.png` });
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  check((await page.locator("#companion-name").textContent()) === "Samantha", "the new name shows");

  // --- small and dark screens -------------------------------------------------------------------
  step("small and dark screens");
  await page.setViewportSize({ width: 390, height: 780 });
  const toggle = page.getByRole("button", { name: "Conversations" });
  await toggle.waitFor();
  await page.waitForTimeout(300); // the menu slides away
  await page.screenshot({ path: `${out}/chat-phone.png` });
  await toggle.click();
  check((await toggle.getAttribute("aria-expanded")) === "true", "the menu says it is open");
  await page.keyboard.press("Escape");
  await page.setViewportSize({ width: 1200, height: 780 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${out}/chat-dark.png` });

  // --- every control has a name a screen reader can say -----------------------------------------
  step("every control has a name a screen reader can say");
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("button, input, textarea")]
    .filter((el) => el.offsetParent !== null || el.closest("dialog[open]"))
    .filter((el) => !(el.textContent.trim() || el.getAttribute("aria-label") || el.labels?.length))
    .map((el) => el.outerHTML.slice(0, 80)));
  check(unnamed.length === 0, `unnamed controls: ${unnamed}`);

  // --- sign out ---------------------------------------------------------------------------------
  step("sign out");
  await page.getByRole("button", { name: "Settings" }).click();
  await dialog.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Your key").waitFor();
  await page.reload();
  await page.getByLabel("Your key").waitFor();

  check(problems.length === 0, problems.join("\n"));
  console.log("browser test passed");
} finally {
  await browser.close();
}
