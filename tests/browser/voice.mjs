// Voice on the page in Debian's Chromium, with a fake microphone that says a recorded question:
// hands-free, she hears it, thinks, answers out loud, and the turn shows in the conversation.
// Run by tests/test_server_voice_browser.py with OS1_URL, OS1_KEY, OS1_QUESTION (a WAV file) and
// OS1_ARTIFACTS set; exits non-zero with the reason on the first thing that is wrong.

import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.env.OS1_URL;
const out = process.env.OS1_ARTIFACTS;
mkdirSync(out, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.OS1_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${process.env.OS1_QUESTION}%noloop`,
    "--autoplay-policy=no-user-gesture-required",
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  await context.grantPermissions(["microphone"], { origin: url });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes("Failed to load resource")) {
      problems.push(`console: ${message.text()}`);
    }
  });

  await page.goto(url);
  const keyBox = page.getByLabel("Your key");
  await keyBox.fill(process.env.OS1_KEY);
  await keyBox.press("Enter");
  await page.locator("#messages .message.assistant").first().waitFor();
  check(await page.locator("#voice-state").textContent() === "Voice off", "voice starts off");

  // Every state the voice panel shows, in order.
  await page.evaluate(() => {
    window.voiceStates = [];
    const panel = document.getElementById("voice");
    new MutationObserver(() => {
      const last = window.voiceStates[window.voiceStates.length - 1];
      if (panel.dataset.state !== last) window.voiceStates.push(panel.dataset.state);
    }).observe(panel, { attributes: true, attributeFilter: ["data-state"] });
  });

  await page.getByRole("button", { name: "Hands-free" }).click();
  try {
    await page.waitForFunction(() =>
      document.getElementById("voice-hands-free").getAttribute("aria-pressed") === "true",
    null, { timeout: 15_000 });
  } catch {
    throw new Error(`hands-free did not start: ${await page.locator("#voice-caption").textContent()}`);
  }
  await page.waitForFunction(() => document.getElementById("voice").dataset.lastReply,
    null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById("voice").dataset.state === "listening");
  const states = await page.evaluate(() => window.voiceStates);
  console.log(`states: ${states.join(" → ")}`);
  for (const wanted of ["listening", "recording", "thinking", "speaking"]) {
    check(states.includes(wanted), `the panel showed '${wanted}' (saw ${states.join(", ")})`);
  }
  check(states.indexOf("thinking") < states.lastIndexOf("speaking"), "thinking comes before speaking");
  const reply = await page.evaluate(() => document.getElementById("voice").dataset.lastReply);
  console.log(`she said: ${reply}`);
  check(/walk/i.test(reply) && /river/i.test(reply), `her answer is about the walk: ${reply}`);
  // The spoken turn is in the conversation, like a typed one.
  await page.locator("#messages .message.user").filter({ hasText: /river/i }).waitFor();
  await page.locator("#messages .message.assistant").filter({ hasText: /You said/ }).waitFor();
  await page.screenshot({ path: `${out}/voice.png` });
  await page.getByRole("button", { name: "Hands-free" }).click();
  check(await page.locator("#voice-state").textContent() === "Voice off", "voice turns off");
  check(!problems.length, problems.join("\n"));
  console.log("voice ok");
} finally {
  await browser.close();
}
