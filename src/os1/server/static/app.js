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

$("open-settings").addEventListener("click", async () => {
  const companion = companionFor(state.current);
  $("profile-name").value = state.me?.name || "";
  $("companion-name-input").value = companion?.name || "";
  $("companion-persona").value = companion?.persona || "";
  $("profile-status").textContent = "";
  $("new-key").hidden = true;
  $("base-url").textContent = `${location.origin}/v1`;
  $("settings").showModal();
  await renderKeys();
});

$("profile-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const companion = companionFor(state.current);
  try {
    state.me = { ...state.me, ...(await api("/api/me", {
      method: "PATCH", body: { name: $("profile-name").value },
    })) };
    if (companion) {
      const updated = await api(`/api/companions/${encodeURIComponent(companion.id)}`, {
        method: "PATCH",
        body: { name: $("companion-name-input").value, persona: $("companion-persona").value },
      });
      Object.assign(companion, updated);
    }
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

// --- start --------------------------------------------------------------------------------------

showApp().catch((error) => {
  if (!(error instanceof ApiError && error.status === 401)) toast(error.message);
  showLogin();
});
