// os1's web page: sign in, talk with streaming replies, browse conversations, change settings.
// Plain modules, no build step. Every piece of text from the server or the model goes into the
// page through textContent, never as HTML.

const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  companions: [],
  conversations: [],
  current: null, // the open conversation
  messages: new Map(), // seq -> list item
  lastSeq: 0, // highest final seq shown
  replying: null, // {seq, item, bubble, length}
  pending: new Map(), // idempotency key -> {conversationId, text, item}
  socket: null,
  socketOpen: false,
  retryMs: 1000,
  greeted: new Set(),
  toastTimer: 0,
  heartTimer: 0,
  persona: null, // her persona's blocks as the settings loaded them
};

// --- talking to the server ----------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `request failed (${status})`);
    this.status = status;
  }
}

async function api(path, { method = "GET", body } = {}) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== "/api/session") showLogin();
    throw new ApiError(response.status, data);
  }
  return data;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const codePoints = (text) => Array.from(text).length;

// --- small pieces of the page -------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // A fresh node each time, so screen readers read a repeated line again.
  window.setTimeout(() => { region.textContent = text; }, 30);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  window.clearTimeout(state.toastTimer);
  state.toastTimer = window.setTimeout(() => { box.hidden = true; }, 6000);
}

function timeLabel(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const today = new Date().toDateString() === when.toDateString();
  return today
    ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : when.toLocaleDateString([], { month: "short", day: "numeric" });
}

function companionFor(conversation) {
  return state.companions.find((c) => c.id === conversation?.companion_id) || state.companions[0];
}

function companionName() {
  return companionFor(state.current)?.name || "Your companion";
}

function setConnection(text, offline = false) {
  const line = $("connection");
  line.textContent = text;
  line.classList.toggle("offline", offline);
}

// --- signing in ---------------------------------------------------------------------------------

function showLogin() {
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close();
    state.socket = null;
  }
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-key").focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = $("login-key").value.trim();
  $("login-error").textContent = "";
  if (!key) {
    $("login-error").textContent = "Paste your key first.";
    return;
  }
  try {
    await api("/api/session", { method: "POST", body: { key } });
    $("login-key").value = "";
    await showApp();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
});

async function showApp() {
  state.me = await api("/api/me");
  $("open-memories").hidden = !state.me.features.includes("memories");
  $("open-journal").hidden = !hasFeature("journal");
  $("open-mood").hidden = !hasFeature("mood");
  $("login").hidden = true;
  $("app").hidden = false;
  await loadCompanions();
  await loadConversations();
  if (!state.conversations.length) {
    const created = await api("/api/conversations", { method: "POST", body: {} });
    state.conversations = [created];
    renderConversationList();
  }
  connect();
  await openConversation(state.conversations[0]);
  refreshHeartLine();
}

function hasFeature(name) {
  return Boolean(state.me && state.me.features.includes(name));
}

// --- companions and conversations ---------------------------------------------------------------

async function loadCompanions() {
  state.companions = (await api("/api/companions")).companions;
}

async function loadConversations() {
  state.conversations = (await api("/api/conversations")).conversations;
  renderConversationList();
}

function conversationTitle(conversation) {
  if (conversation.title) return conversation.title;
  return `Conversation from ${new Date(conversation.created_at).toLocaleDateString([], {
    month: "long", day: "numeric",
  })}`;
}

function renderConversationList() {
  const list = $("conversation-list");
  list.replaceChildren();
  for (const conversation of state.conversations) {
    const item = element("li");
    const button = element("button");
    button.type = "button";
    button.append(
      element("span", "title", conversationTitle(conversation)),
      element("span", "when", timeLabel(conversation.updated_at)),
    );
    if (state.current && conversation.id === state.current.id) {
      button.setAttribute("aria-current", "true");
    }
    button.addEventListener("click", () => {
      openConversation(conversation);
      closeSidebar();
    });
    item.append(button);
    list.append(item);
  }
}

function renderCompanion() {
  const name = companionName();
  $("companion-name").textContent = name;
  $("avatar-letter").textContent = Array.from(name)[0] || "·";
  $("composer-label").textContent = `Message ${name}`;
  $("composer-text").placeholder = `Say something to ${name}…`;
}

async function openConversation(conversation) {
  if (state.current && state.current.id !== conversation.id) {
    send({ type: "leave", conversation_id: state.current.id });
  }
  state.current = conversation;
  document.body.dataset.conversation = conversation.id; // for the voice controls (voice.js)
  state.messages.clear();
  state.lastSeq = 0;
  state.replying = null;
  setTyping(false);
  $("messages").replaceChildren();
  $("conversation-title").textContent = conversationTitle(conversation);
  renderCompanion();
  renderConversationList();
  const { messages } = await api(
    `/api/conversations/${encodeURIComponent(conversation.id)}/messages?limit=200`,
  );
  if (state.current !== conversation) return;
  for (const message of messages) {
    if (message.status !== "streaming") finishMessage(message, { quiet: true });
  }
  // Messages typed here earlier and not yet stored wait at the end, to be sent again.
  for (const [, pending] of pendingHere()) $("messages").append(pending.item);
  showEmptyState();
  hello();
  $("composer-text").focus();
}

$("new-conversation").addEventListener("click", async () => {
  try {
    const created = await api("/api/conversations", {
      method: "POST",
      body: { companion_id: companionFor(state.current)?.id },
    });
    state.conversations.unshift(created);
    await openConversation(created);
    closeSidebar();
  } catch (error) {
    toast(error.message);
  }
});

// --- messages -----------------------------------------------------------------------------------

function showEmptyState() {
  const list = $("messages");
  const empty = list.querySelector(".empty-state");
  if (state.messages.size || pendingHere().length || state.replying) {
    if (empty) empty.remove();
    return;
  }
  if (empty) return;
  const item = element("li", "empty-state");
  const orb = element("div", "orb");
  orb.setAttribute("aria-hidden", "true");
  item.append(orb, element("p", "", `This is the start of your conversation with ${companionName()}.`));
  list.append(item);
}

function messageItem(role, text, meta) {
  const item = element("li", `message ${role}`);
  const who = role === "user" ? "You" : role === "assistant" ? companionName() : "Note";
  const bubble = element("div", "bubble", text);
  item.append(element("span", "sr-only", `${who}: `), bubble);
  if (meta) item.append(element("span", "meta", meta));
  return { item, bubble };
}

function placeInOrder(item, seq) {
  const list = $("messages");
  item.dataset.seq = String(seq);
  let before = null;
  for (const other of list.querySelectorAll("li[data-seq]")) {
    if (Number(other.dataset.seq) > seq) {
      before = other;
      break;
    }
  }
  // Messages not yet numbered (being sent) stay at the end.
  const firstPending = list.querySelector("li.pending");
  list.insertBefore(item, before || firstPending || null);
}

function scrollToEnd() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
}

function showMessage(message) {
  let meta = timeLabel(message.created_at);
  if (message.status === "interrupted") meta += " · stopped";
  if (message.meta && message.meta.error) meta += " · cut short";
  const { item } = messageItem(message.role, message.content, meta);
  const old = state.messages.get(message.seq);
  if (old) old.remove();
  state.messages.set(message.seq, item);
  placeInOrder(item, message.seq);
  if (message.status !== "streaming") state.lastSeq = Math.max(state.lastSeq, message.seq);
  showEmptyState();
  scrollToEnd();
}

function setTyping(on) {
  $("typing").hidden = !on;
  $("typing-text").textContent = on ? `${companionName()} is typing…` : "";
  $("stop").hidden = !on;
}

function startReply(seq) {
  if (state.replying && state.replying.seq === seq) return;
  const { item, bubble } = messageItem("assistant", "");
  item.classList.add("streaming");
  placeInOrder(item, seq);
  state.replying = { seq, item, bubble, length: 0 };
  setTyping(true);
  announce(`${companionName()} is typing`);
  showEmptyState();
  scrollToEnd();
}

function addDelta(frame) {
  const reply = state.replying;
  if (!reply || reply.seq !== frame.seq || frame.offset !== reply.length) return;
  reply.bubble.textContent += frame.text;
  reply.length += codePoints(frame.text);
  scrollToEnd();
}

function finishMessage(message, { quiet = false } = {}) {
  const reply = state.replying;
  if (reply && reply.seq === message.seq) {
    reply.item.remove();
    state.replying = null;
    setTyping(false);
  }
  if (message.role === "user" && message.idempotency_key) {
    const pending = state.pending.get(message.idempotency_key);
    if (pending) {
      pending.item.remove();
      state.pending.delete(message.idempotency_key);
    }
  }
  showMessage(message);
  if (!quiet && message.role === "assistant" && message.content) {
    announce(`${companionName()}: ${message.content}`);
    // Her heart moves after each reply, off the reply's path: look a moment later.
    // Once soon, and once more in case a busy server saved it late.
    window.clearTimeout(state.heartTimer);
    state.heartTimer = window.setTimeout(() => {
      refreshHeartLine();
      state.heartTimer = window.setTimeout(refreshHeartLine, 4000);
    }, 1200);
  }
}

// --- sending ------------------------------------------------------------------------------------

function pendingHere() {
  return [...state.pending].filter(([, p]) => state.current && p.conversationId === state.current.id);
}

function showPending(key, text) {
  const { item } = messageItem("user", text, "sending…");
  item.classList.add("pending");
  $("messages").append(item);
  state.pending.set(key, { conversationId: state.current.id, text, item });
  showEmptyState();
  scrollToEnd();
}

function sendPending(key) {
  const pending = state.pending.get(key);
  if (!pending) return;
  send({ type: "send", conversation_id: pending.conversationId, text: pending.text,
         idempotency_key: key });
}

function failPending(key, reason) {
  const pending = state.pending.get(key);
  if (!pending) return;
  const { item, text } = pending;
  item.classList.remove("pending");
  item.classList.add("failed");
  const meta = item.querySelector(".meta");
  if (meta) meta.textContent = `Not sent: ${reason}`;
  if (!item.querySelector(".retry")) {
    const retry = element("button", "retry secondary", "Try again");
    retry.type = "button";
    retry.addEventListener("click", () => {
      item.remove();
      state.pending.delete(key);
      const fresh = newKey();
      showPending(fresh, text);
      sendPending(fresh);
    });
    item.append(retry);
  }
}

async function nameConversation(text) {
  const conversation = state.current;
  if (!conversation || conversation.title) return;
  const title = Array.from(text.replace(/\s+/g, " ").trim()).slice(0, 48).join("");
  try {
    const updated = await api(`/api/conversations/${encodeURIComponent(conversation.id)}`, {
      method: "PATCH", body: { title },
    });
    conversation.title = updated.title;
    if (state.current === conversation) $("conversation-title").textContent = updated.title;
    renderConversationList();
  } catch {
    // A title is a nicety; the conversation works without one.
  }
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const box = $("composer-text");
  const text = box.value;
  if (!text.trim() || !state.current) return;
  if (state.replying) {
    toast(`${companionName()} is still answering; wait a moment or press Stop.`);
    return;
  }
  box.value = "";
  resizeComposer();
  const key = newKey();
  showPending(key, text);
  sendPending(key);
  nameConversation(text);
});

$("composer-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  } else if (event.key === "Escape" && state.replying) {
    event.preventDefault();
    stopReply();
  }
});

function resizeComposer() {
  const box = $("composer-text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, window.innerHeight * 0.4)}px`;
}
$("composer-text").addEventListener("input", resizeComposer);

function stopReply() {
  if (state.current) send({ type: "cancel", conversation_id: state.current.id });
}
$("stop").addEventListener("click", stopReply);

// --- the live connection ------------------------------------------------------------------------

function send(frame) {
  if (state.socket && state.socketOpen) state.socket.send(JSON.stringify(frame));
}

function hello() {
  if (!state.current || !state.socketOpen) return;
  // The reply in progress comes again whole from the server; drop the partial copy.
  if (state.replying) {
    state.replying.item.remove();
    state.replying = null;
    setTyping(false);
  }
  send({ type: "hello", conversation_id: state.current.id, last_seq: state.lastSeq });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/ws`);
  state.socket = socket;
  setConnection("Connecting…");
  socket.onopen = () => {
    state.socketOpen = true;
    state.retryMs = 1000;
    setConnection("");
    hello();
  };
  socket.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    onFrame(frame);
  };
  socket.onclose = (event) => {
    state.socketOpen = false;
    if (state.socket !== socket) return;
    if (event.code === 4401) {
      showLogin();
      return;
    }
    setConnection("Reconnecting…", true);
    window.setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 15000);
  };
}

function onFrame(frame) {
  if (frame.conversation_id && (!state.current || frame.conversation_id !== state.current.id)) {
    return;
  }
  switch (frame.type) {
    case "message":
      finishMessage(frame.message);
      break;
    case "reply_started":
      startReply(frame.seq);
      break;
    case "delta":
      addDelta(frame);
      break;
    case "notice":
      showNotice(frame.text);
      break;
    case "ready":
      // Messages typed while offline go now; their keys make a resend safe.
      for (const [key] of pendingHere()) sendPending(key);
      if (!state.greeted.has(frame.conversation_id)) {
        state.greeted.add(frame.conversation_id);
        send({ type: "greet", conversation_id: frame.conversation_id });
      }
      break;
    case "error":
      onError(frame);
      break;
    default:
      break;
  }
}

function showNotice(text) {
  const { item } = messageItem("system", text);
  $("messages").append(item);
  scrollToEnd();
}

function onError(frame) {
  if (frame.idempotency_key && state.pending.has(frame.idempotency_key)) {
    failPending(frame.idempotency_key, frame.message);
    return;
  }
  if (frame.code === "not_replying") return;
  if (frame.seq && state.replying && state.replying.seq === frame.seq) {
    state.replying.item.classList.add("failed");
    state.replying = null;
    setTyping(false);
  }
  toast(frame.message || "Something went wrong.");
}

// --- sidebar on small screens -------------------------------------------------------------------

function closeSidebar() {
  $("sidebar").classList.remove("open");
  $("toggle-sidebar").setAttribute("aria-expanded", "false");
}

$("toggle-sidebar").addEventListener("click", () => {
  const open = $("sidebar").classList.toggle("open");
  $("toggle-sidebar").setAttribute("aria-expanded", String(open));
  if (open) $("new-conversation").focus();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && $("sidebar").classList.contains("open")) closeSidebar();
});

// --- settings -----------------------------------------------------------------------------------

function companionPath(rest) {
  const companion = companionFor(state.current);
  return companion ? `/api/companions/${encodeURIComponent(companion.id)}/${rest}` : null;
}

async function loadPersona() {
  const blocks = hasFeature("journal");
  $("persona-blocks").hidden = !blocks;
  $("persona-text").hidden = blocks;
  $("card-section").hidden = !blocks;
  if (!blocks || !companionPath("persona")) return;
  state.persona = await api(companionPath("persona"));
  for (const box of document.querySelectorAll("#persona-blocks [data-block]")) {
    box.value = state.persona.blocks[box.dataset.block] || "";
    box.maxLength = state.persona.limits[box.dataset.block];
  }
  $("card-export-png").href = `${companionPath("card")}?format=png`;
  $("card-export-json").href = `${companionPath("card")}?format=json`;
}

$("open-settings").addEventListener("click", async () => {
  const companion = companionFor(state.current);
  // She may have learned their name in the chat since the page loaded.
  state.me = await api("/api/me").catch(() => state.me);
  $("profile-name").value = state.me?.name || "";
  $("companion-name-input").value = companion?.name || "";
  $("companion-persona").value = companion?.persona || "";
  $("profile-status").textContent = "";
  $("card-status").textContent = "";
  $("new-key").hidden = true;
  $("base-url").textContent = `${location.origin}/v1`;
  $("settings").showModal();
  await Promise.all([renderKeys(), loadPersona().catch((error) => toast(error.message))]);
});

function mergeCompanion(updated) {
  const companion = state.companions.find((c) => c.id === updated.id);
  if (companion) Object.assign(companion, updated);
  renderCompanion();
}

async function savePersona(companion) {
  if (!hasFeature("journal") || !state.persona) {
    mergeCompanion(await api(`/api/companions/${encodeURIComponent(companion.id)}`, {
      method: "PATCH",
      body: { name: $("companion-name-input").value, persona: $("companion-persona").value },
    }));
    return;
  }
  const changes = {};
  const name = $("companion-name-input").value.trim();
  if (name !== state.persona.name) changes.name = name;
  for (const box of document.querySelectorAll("#persona-blocks [data-block]")) {
    if (box.value !== (state.persona.blocks[box.dataset.block] || "")) {
      changes[box.dataset.block] = box.value;
    }
  }
  if (!Object.keys(changes).length) return;
  const result = await api(companionPath("persona"), { method: "PATCH", body: changes });
  state.persona = result.persona;
  mergeCompanion(result.companion);
}

$("profile-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const companion = companionFor(state.current);
  try {
    state.me = { ...state.me, ...(await api("/api/me", {
      method: "PATCH", body: { name: $("profile-name").value },
    })) };
    if (companion) await savePersona(companion);
    renderCompanion();
    $("profile-status").textContent = "Saved.";
  } catch (error) {
    $("profile-status").textContent = error.message;
  }
});

async function renderKeys() {
  const list = $("key-list");
  list.replaceChildren();
  const { keys } = await api("/api/keys");
  for (const key of keys) {
    const item = element("li");
    const label = element("span", key.revoked ? "revoked" : "",
      `${key.label || "key"} · ${key.prefix}…${key.current ? " (this session)" : ""}`);
    item.append(label);
    if (!key.revoked) {
      const revoke = element("button", "ghost", "Revoke");
      revoke.type = "button";
      revoke.setAttribute("aria-label", `Revoke ${key.label || "key"} ${key.prefix}`);
      revoke.addEventListener("click", async () => {
        if (!window.confirm("Revoke this key? Apps using it stop working.")) return;
        await api(`/api/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
        if (key.current) {
          showLogin();
          $("settings").close();
          return;
        }
        await renderKeys();
      });
      item.append(revoke);
    }
    list.append(item);
  }
}

$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const created = await api("/api/keys", {
      method: "POST", body: { label: $("key-label").value },
    });
    $("key-label").value = "";
    $("new-key").hidden = false;
    $("new-key-value").value = created.secret;
    $("new-key-value").select();
    await renderKeys();
  } catch (error) {
    toast(error.message);
  }
});

$("logout").addEventListener("click", async () => {
  await api("/api/session", { method: "DELETE" }).catch(() => null);
  $("settings").close();
  showLogin();
});

// --- memories -----------------------------------------------------------------------------------

function memoryMeta(memory) {
  const kinds = { fact: "fact", summary: "summary", episode: "message" };
  const parts = [kinds[memory.kind] || memory.kind, timeLabel(memory.valid_at)];
  if (memory.past_since) parts.push(`no longer true since ${timeLabel(memory.past_since)}`);
  return parts.filter(Boolean).join(" · ");
}

function memoryItem(memory) {
  const item = element("li", memory.past_since ? "past" : "");
  const text = element("p", "memory-text", memory.text);
  const meta = element("p", "memory-meta", memoryMeta(memory));
  const actions = element("div", "memory-actions");
  const edit = element("button", "ghost", "Correct");
  edit.type = "button";
  edit.setAttribute("aria-label", `Correct: ${memory.text.slice(0, 60)}`);
  const forget = element("button", "ghost", "Forget");
  forget.type = "button";
  forget.setAttribute("aria-label", `Forget: ${memory.text.slice(0, 60)}`);
  actions.append(edit, forget);
  item.append(text, meta, actions);

  edit.addEventListener("click", () => {
    const form = element("form", "stack");
    const label = element("label", "sr-only", "Corrected memory");
    const box = element("textarea");
    box.id = `edit-${memory.id}`;
    label.htmlFor = box.id;
    box.rows = 3;
    box.maxLength = 4000;
    box.value = memory.text;
    const save = element("button", "primary", "Save");
    save.type = "submit";
    const cancel = element("button", "ghost", "Cancel");
    cancel.type = "button";
    const buttons = element("div", "memory-actions");
    buttons.append(save, cancel);
    form.append(label, box, buttons);
    item.replaceChildren(form);
    box.focus();
    cancel.addEventListener("click", () => {
      item.replaceWith(memoryItem(memory));
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const updated = await api(`/api/memories/${encodeURIComponent(memory.id)}`, {
          method: "PATCH", body: { text: box.value },
        });
        const fresh = memoryItem(updated);
        item.replaceWith(fresh);
        fresh.querySelector("button").focus();
        $("memory-status").textContent = "Corrected.";
      } catch (error) {
        $("memory-status").textContent = error.message;
      }
    });
  });

  forget.addEventListener("click", async () => {
    if (!window.confirm("Forget this for good? It is erased everywhere it was kept.")) return;
    try {
      await api(`/api/memories/${encodeURIComponent(memory.id)}`, { method: "DELETE" });
      item.remove();
      $("memory-status").textContent = "Forgotten.";
      $("memory-query").focus();
    } catch (error) {
      $("memory-status").textContent = error.message;
    }
  });
  return item;
}

async function showMemories() {
  const query = $("memory-query").value.trim();
  const kind = $("memory-kind").value;
  const list = $("memory-list");
  $("memory-status").textContent = "Looking…";
  try {
    let found;
    if (query) {
      found = (await api(`/api/memories/search?${new URLSearchParams({ q: query, limit: "30" })}`))
        .memories.filter((m) => !kind || m.kind === kind);
    } else {
      const params = new URLSearchParams({ limit: "100" });
      if (kind) params.set("kind", kind);
      found = (await api(`/api/memories?${params}`)).memories;
    }
    list.replaceChildren(...found.map(memoryItem));
    $("memory-status").textContent = found.length
      ? `${found.length} ${found.length === 1 ? "memory" : "memories"}`
      : query ? "Nothing remembered matches that." : "Nothing remembered yet.";
  } catch (error) {
    $("memory-status").textContent = error.message;
  }
}

$("open-memories").addEventListener("click", async () => {
  $("memories-title").textContent = `What ${companionName()} remembers`;
  $("memories").showModal();
  await showMemories();
});

$("memory-search").addEventListener("submit", (event) => {
  event.preventDefault();
  showMemories();
});

// --- Character Cards ----------------------------------------------------------------------------

$("card-file").addEventListener("change", async () => {
  const file = $("card-file").files[0];
  if (!file || !companionPath("card")) return;
  const status = $("card-status");
  status.textContent = `Reading ${file.name}…`;
  const png = file.type === "image/png" || /\.png$/i.test(file.name);
  const json = file.type === "application/json" || /\.json$/i.test(file.name);
  const type = png ? "image/png" : json ? "application/json" : "application/octet-stream";
  try {
    const params = new URLSearchParams({ filename: file.name });
    const response = await fetch(`${companionPath("card")}?${params}`, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": type }, body: file,
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    mergeCompanion(data.companion);
    await loadPersona();
    $("companion-name-input").value = data.companion.name;
    status.textContent = data.changed
      ? `She is ${data.companion.name} now. Her journal can undo it.`
      : `Nothing changed: she already is ${data.companion.name}.`;
  } catch (error) {
    status.textContent = error.message;
  } finally {
    $("card-file").value = "";
  }
});

// --- the growth journal --------------------------------------------------------------------------

const AUTHORS = {
  user: "You", import: "A card", reflection: "Her reflection", operator: "Where she started",
  rollback: "Rollback", growth: "Her own choice",
};

function diffView(diff) {
  const view = element("pre", "diff");
  if (!diff) {
    view.textContent = "(no change to the blocks)";
    return view;
  }
  for (const line of diff.split("\n")) {
    let kind = "same";
    if (line.startsWith("+++") || line.startsWith("---")) kind = "file";
    else if (line.startsWith("@@")) kind = "hunk";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    view.append(element("span", `line ${kind}`, `${line}\n`));
  }
  return view;
}

function journalItem(entry, latest) {
  const item = element("li", `journal-entry author-${entry.author}`);
  const head = element("p", "journal-head");
  head.append(
    element("span", "journal-version", `Version ${entry.version}`),
    element("span", "journal-author", AUTHORS[entry.author] || entry.author),
    element("span", "journal-when", timeLabel(entry.created_at)),
  );
  item.append(head, element("p", "journal-reason", entry.reason));
  const facts = [];
  if (entry.changed.length) facts.push(`changed: ${entry.changed.join(", ")}`);
  if (entry.version === latest) facts.push("how she is now");
  if (facts.length) item.append(element("p", "journal-meta", facts.join(" · ")));
  if (entry.evidence.length) {
    const evidence = element("p", "journal-evidence");
    evidence.append(element("span", "quiet", "Evidence: "));
    for (const id of entry.evidence) evidence.append(element("code", "", id));
    item.append(evidence);
  }
  const details = element("details", "journal-diff");
  const summary = element("summary", "", "Show what changed");
  details.append(summary);
  details.addEventListener("toggle", async () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    try {
      const shown = await api(companionPath(`journal/${entry.version}`));
      details.append(diffView(shown.diff));
    } catch (error) {
      details.append(element("p", "error", error.message));
    }
  });
  item.append(details);
  if (entry.version !== latest) {
    const back = element("button", "secondary", "Roll back to this version");
    back.type = "button";
    back.setAttribute("aria-label", `Roll back to version ${entry.version}`);
    back.addEventListener("click", async () => {
      if (!window.confirm(`Make ${companionName()} exactly as she was at version ${entry.version}? `
        + "This is a new entry in her journal, so you can undo it.")) return;
      try {
        const result = await api(companionPath(`journal/${entry.version}/rollback`), {
          method: "POST",
        });
        mergeCompanion(result.companion);
        await showJournal();
        $("journal-status").textContent = result.changed
          ? `Rolled back to version ${entry.version}.`
          : `She already is as she was at version ${entry.version}.`;
        $("journal-list").querySelector("summary")?.focus();
      } catch (error) {
        $("journal-status").textContent = error.message;
      }
    });
    item.append(back);
  }
  return item;
}

async function showJournal() {
  const list = $("journal-list");
  $("journal-status").textContent = "Looking…";
  try {
    const { entries, version } = await api(companionPath("journal"));
    list.replaceChildren(...entries.map((entry) => journalItem(entry, version)));
    $("journal-status").textContent = entries.length
      ? `${entries.length} ${entries.length === 1 ? "entry" : "entries"}`
      : `Nothing yet: ${companionName()} is as she started. Edits, cards and her own `
        + "reflections will show here.";
  } catch (error) {
    $("journal-status").textContent = error.message;
  }
}

$("open-journal").addEventListener("click", async () => {
  $("journal-title").textContent = `How ${companionName()} has grown`;
  $("journal").showModal();
  await showJournal();
});

// --- her heart and your mood ---------------------------------------------------------------------

const STAGES = { new: "getting to know each other", friendly: "friends", close: "close" };
const MEANS = {
  listen: "listen and follow your lead", comfort: "comfort you gently",
  encourage: "encourage you", celebrate: "celebrate with you", playful: "keep it light",
  steady: "stay calm and steady",
};
const MOODS = {
  sad: "sad or down", worried: "worried or anxious", frustrated: "frustrated",
  happy: "in good spirits",
};

async function refreshHeartLine() {
  const line = $("companion-heart");
  if (!hasFeature("mood") || !companionPath("heart")) return;
  try {
    const heart = await api(companionPath("heart"));
    // The first two words fit beside her name; the Mood view has them all.
    const words = heart.mood.words.split(", ").slice(0, 2).join(", ");
    line.textContent = `feels ${words} · ${STAGES[heart.relationship.stage] || heart.relationship.stage}`;
    line.hidden = !heart.on; // with the heart off she has no moods to speak of
  } catch {
    line.hidden = true; // her mood is a nicety beside the conversation
  }
}

function svg(tag, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function dayLabel(iso, long = false) {
  const when = new Date(`${iso}T12:00:00Z`);
  return when.toLocaleDateString([], long
    ? { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" }
    : { month: "short", day: "numeric", timeZone: "UTC" });
}

function drawMood(data, count) {
  const chart = $("mood-chart");
  const width = 640;
  const height = 220;
  const top = 26;
  const axis = 108; // the zero line
  const half = 72;
  chart.replaceChildren();
  chart.append(
    svg("line", { x1: 0, x2: width, y1: axis - half, y2: axis - half, class: "grid" }),
    svg("line", { x1: 0, x2: width, y1: axis + half, y2: axis + half, class: "grid" }),
    svg("text", { x: 4, y: axis - half - 6, class: "axis-label" }, "pleasant"),
    svg("text", { x: 4, y: axis + half + 14, class: "axis-label" }, "unpleasant"),
  );
  const byDay = new Map(data.days.map((day) => [day.day, day]));
  const start = new Date(`${data.since}T00:00:00Z`);
  const slot = width / count;
  const bar = Math.max(3, Math.min(30, slot * 0.62));
  const every = Math.ceil(count / 7);
  for (let i = 0; i < count; i += 1) {
    const iso = new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10);
    const x = slot * i + slot / 2;
    if ((count - 1 - i) % every === 0) {
      chart.append(svg("text", { x, y: height - 6, class: "day-label", "text-anchor": "middle" },
        dayLabel(iso)));
    }
    const day = byDay.get(iso);
    if (!day) continue;
    const size = Math.max(2, Math.abs(day.valence) * half);
    const y = day.valence >= 0 ? axis - size : axis;
    const rect = svg("rect", {
      x: x - bar / 2, y, width: bar, height: size, rx: Math.min(6, bar / 2),
      class: `bar ${day.valence >= 0 ? "pleasant" : "unpleasant"}`,
    });
    rect.append(svg("title", {}, `${dayLabel(iso, true)}: ${day.count} `
      + `${day.count === 1 ? "message" : "messages"}, valence ${day.valence.toFixed(2)}, `
      + `mostly ${day.dominant.join(", ")}`));
    chart.append(rect);
    if (count <= 14) {
      // Neighbouring labels sit at two heights so long names do not collide.
      const lift = i % 2 ? 11 : 0;
      const labelY = day.valence >= 0 ? y - 6 - lift : y + size + 13 + lift;
      chart.append(svg("text", { x, y: Math.max(top - 12, labelY), class: "emotion-label",
        "text-anchor": "middle" }, day.dominant[0]));
    }
  }
  chart.append(svg("line", { x1: 0, x2: width, y1: axis, y2: axis, class: "zero" }));
}

function moodRow(day) {
  const row = element("tr");
  row.append(
    element("td", "", dayLabel(day.day, true)),
    element("td", "", String(day.count)),
    element("td", day.valence >= 0 ? "pleasant" : "unpleasant",
      `${day.valence >= 0 ? "+" : "−"}${Math.abs(day.valence).toFixed(2)}`),
    element("td", "", day.mood ? MOODS[day.mood] || day.mood : "—"),
    element("td", "", day.dominant.join(", ")),
  );
  return row;
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

// Your days are your calendar days: the browser's time zone when the server knows it (a server
// without that zone in its database answers 422, and then its own days are shown).
async function moodByDay(count) {
  const zone = browserZone();
  const query = new URLSearchParams({ days: String(count) });
  if (zone) query.set("tz", zone);
  try {
    return await api(`/api/mood?${query}`);
  } catch (error) {
    if (!zone || error.status !== 422) throw error;
    return api(`/api/mood?days=${count}`);
  }
}

async function showMood() {
  const count = Number($("mood-days").value);
  $("mood-status").textContent = "Looking…";
  try {
    const [heart, mood] = await Promise.all([api(companionPath("heart")), moodByDay(count)]);
    const name = companionName();
    $("heart-title").textContent = `How ${name} feels`;
    $("heart-words").textContent = `${name} feels ${heart.mood.words}.`;
    $("heart-strategy").textContent = heart.on
      ? `Right now she means to ${MEANS[heart.strategy] || heart.strategy}.`
      : "Her heart is off on this server (the heart setting), so her mood rests where it is.";
    $("heart-why").replaceChildren(...heart.why.slice(0, 3).map((item) => element("li", "",
      `${timeLabel(item.at)} · ${item.event.replace("_", " ")}: ${item.reason}`)));
    const rel = heart.relationship;
    $("relationship-stage").textContent = `You two: ${STAGES[rel.stage] || rel.stage}`;
    $("meter-closeness").value = rel.closeness;
    $("meter-trust").value = rel.trust;
    $("relationship-detail").textContent = `${rel.turns} ${rel.turns === 1 ? "turn" : "turns"} over `
      + `${rel.days_talked} ${rel.days_talked === 1 ? "day" : "days"} · `
      + `${rel.disclosures} personal things shared`;
    const pattern = $("mood-pattern");
    pattern.hidden = !mood.pattern;
    if (mood.pattern) {
      pattern.textContent = `You have sounded ${MOODS[mood.pattern.mood] || mood.pattern.mood} on `
        + `${mood.pattern.days} of the ${mood.pattern.of_days} days you talked this past week.`;
    }
    drawMood(mood, count);
    $("mood-rows").replaceChildren(...mood.days.slice().reverse().map(moodRow));
    $("mood-table").hidden = !mood.days.length;
    const talked = mood.days.length;
    $("mood-chart-caption").textContent = talked
      ? `How your messages felt each day, above the line pleasant, below unpleasant: `
        + `${talked} of the last ${count} days.`
      : "No days to show yet.";
    $("mood-status").textContent = talked ? "" : mood.reading
      ? `Nothing in the last ${count} days. Talk with ${name} and your days will show here.`
      : `${name} reads how your messages feel when the heart is on and emotion perception `
        + "is installed; nothing to show yet.";
  } catch (error) {
    $("mood-status").textContent = error.message;
  }
}

$("open-mood").addEventListener("click", async () => {
  $("mood").showModal();
  await showMood();
});

$("mood-days").addEventListener("change", showMood);

// --- start --------------------------------------------------------------------------------------

showApp().catch((error) => {
  if (!(error instanceof ApiError && error.status === 401)) toast(error.message);
  showLogin();
});
