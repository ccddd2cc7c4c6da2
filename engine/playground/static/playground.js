// The playground page: polls /api/chat, draws the chat like Telegram, posts what the user does.
"use strict";
const $ = (id) => document.getElementById(id);
let last = "";           // the last snapshot drawn (as JSON): unchanged ones are not redrawn
let shown = {};          // message id -> its drawn content, to flash the ones edited in place
let graphReloads = -1;   // the flows' reload count the graph was drawn for
let graph = null;
let current = null;      // the last snapshot
let busy = false;
const waiting = [];      // what the user did while a request was in flight: sent in turn after it
let stick = true;        // the chat is scrolled to its end: keep it there as pictures load

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

async function call(method, path, body) {
  const response = await fetch(path, {method, headers: {"Content-Type": "application/json"},
                                      body: body === undefined ? undefined : JSON.stringify(body)});
  const payload = await response.json();
  if (!response.ok) throw new Error(payload.error || response.statusText);
  return payload;
}

async function act(path, body) {
  if (busy) {  // the bot is still answering: this goes after it, as Telegram would deliver it
    waiting.push([path, body]);
    drawWaiting();
    return;
  }
  busy = true;
  document.body.classList.add("busy");
  try {
    const snapshot = await call("POST", path, body);
    draw(snapshot);
    if (snapshot.answer && snapshot.answer.text) toast(snapshot.answer);
  } catch (err) {
    toast({text: "⚠ " + err.message, alert: false});
  } finally {
    busy = false;
    document.body.classList.remove("busy");
    const next = waiting.shift();
    drawWaiting();
    if (next) act(...next);
  }
}

function drawWaiting() {
  document.body.dataset.waiting = waiting.length;
  const status = $("bot-status");
  status.textContent = status.textContent.replace(/ · \d+ waiting$/, "") +
    (waiting.length ? " · " + waiting.length + " waiting" : "");
}

let toastTimer = null;
function toast(answer) {
  if (answer.alert) {
    $("alert-text").textContent = answer.text;
    $("alert").hidden = false;
    return;
  }
  $("toast").textContent = answer.text;
  $("toast").hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { $("toast").hidden = true; }, 3000);
}

function bubble(entry) {
  const box = document.createElement("div");
  box.className = "msg " + entry.from;
  const body = document.createElement("div");
  body.className = "bubble";
  box.appendChild(body);
  if (entry.from === "user") {
    if (entry.contact) {
      body.innerHTML = '<div class="contact">📱 <b>Contact</b><br></div>';
      body.firstChild.appendChild(document.createTextNode(entry.contact));
    } else {
      body.textContent = entry.text;
    }
    return box;
  }
  box.dataset.id = entry.id;
  if (entry.photo) {
    body.classList.add("has-photo");
    const photo = document.createElement("div");
    photo.className = "photo";
    if (entry.photo.url) {
      const img = document.createElement("img");
      img.addEventListener("load", () => { if (stick) $("chat").scrollTop = $("chat").scrollHeight; });
      img.src = entry.photo.url;
      img.alt = entry.photo.ref;
      photo.appendChild(img);
    } else {
      photo.classList.add("placeholder");
      photo.textContent = "🖼 " + entry.photo.ref + (entry.photo.missing ? " (" + entry.photo.missing + ")"
                                                       : " (" + entry.photo.kind + ": not fetched)");
    }
    body.appendChild(photo);
  }
  const text = document.createElement("div");
  text.className = "text";
  text.innerHTML = entry.html;  // made safe by the server: Telegram's tags only, all else escaped
  body.appendChild(text);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = entry.edited ? "edited" : "";
  body.appendChild(meta);
  if (entry.buttons.length) {
    const inline = document.createElement("div");
    inline.className = "inline";
    let index = 0;
    for (const row of entry.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const label of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.dataset.index = index;
        const at = index++;
        button.addEventListener("click", () => act("/api/press", {message_id: entry.id, index: at}));
        line.appendChild(button);
      }
      inline.appendChild(line);
    }
    box.appendChild(inline);
  }
  return box;
}

function drawChat(snapshot) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  const before = chat.children.length;
  chat.replaceChildren();
  const now = {};
  for (const entry of snapshot.chat) {
    const box = bubble(entry);
    if (entry.from === "bot") {
      const key = JSON.stringify([entry.html, entry.photo, entry.buttons]);
      now[entry.id] = key;
      if (shown[entry.id] !== undefined && shown[entry.id] !== key) box.classList.add("flash");
    }
    chat.appendChild(box);
  }
  shown = now;
  stick = atBottom || chat.children.length !== before;
  if (stick) chat.scrollTop = chat.scrollHeight;
  const keyboard = $("keyboard");
  keyboard.replaceChildren();
  keyboard.hidden = !snapshot.keyboard.length;
  keyboard.style.gridTemplateColumns = "repeat(" + Math.min(2, snapshot.keyboard.length || 1) + ", 1fr)";
  snapshot.keyboard.forEach((key, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = (key.contact && !key.label.startsWith("📱") ? "📱 " : "") + key.label;
    button.addEventListener("click", () => act("/api/keyboard", {index, phone: $("contact-phone").value}));
    keyboard.appendChild(button);
  });
}

function drawSide(snapshot) {
  $("bot-name").textContent = snapshot.bot || "bot";
  $("bot-status").textContent = "user " + snapshot.user_id + " · " + snapshot.language +
    (waiting.length ? " · " + waiting.length + " waiting" : "");
  $("state").textContent = snapshot.state || "—";
  $("history").textContent = snapshot.history.length ? "back: " + snapshot.history.join(" ‹ ") : "";
  $("params").textContent = JSON.stringify(snapshot.params, null, 2);
  $("data").textContent = JSON.stringify(snapshot.data, null, 2);
  const lang = $("lang");
  if (lang.dataset.options !== snapshot.languages.join(",")) {
    lang.replaceChildren(...snapshot.languages.map((code) => new Option(code, code)));
    lang.dataset.options = snapshot.languages.join(",");
  }
  lang.value = snapshot.language;
  $("problems").hidden = !snapshot.problems.length;
  $("problems").textContent = snapshot.problems.length
    ? "The flows on disk do not pass the checker; the previous flows keep running:\n" + snapshot.problems.join("\n")
    : "";
  $("errors").hidden = !snapshot.errors.length;
  $("errors").textContent = snapshot.errors.map((e) => "💥 the engine failed: " + e).join("\n");
}

function highlight() {
  const box = $("graph");
  if (!graph || !current) return;
  const state = current.state;
  if (graph.kind === "svg") {
    for (const node of box.querySelectorAll("g.node")) {
      const title = node.querySelector("title");
      const here = !!title && title.textContent === state;
      node.classList.toggle("current", here);
      if (here) {  // bring the current state into the graph's view, not the page's
        const at = node.getBoundingClientRect(), view = box.getBoundingClientRect();
        box.scrollLeft += at.left - view.left - view.width / 2 + at.width / 2;
        box.scrollTop += at.top - view.top - view.height / 2 + at.height / 2;
      }
    }
  } else {
    const pattern = new RegExp("(^|[\\s:])" + (state || "\u0000").replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "(?=$|[\\s:])");
    box.firstChild.innerHTML = graph.mermaid.split("\n").map((line) =>
      pattern.test(line) ? "<mark>" + escapeHtml(line) + "</mark>" : escapeHtml(line)).join("\n");
  }
}

async function drawGraph(reloads) {
  if (reloads === graphReloads) return highlight();
  graphReloads = reloads;
  graph = await call("GET", "/api/graph");
  const box = $("graph");
  if (graph.kind === "svg") {
    box.innerHTML = graph.svg;  // Graphviz's drawing of our own flows
    box.dataset.kind = "svg";
  } else {
    box.replaceChildren(document.createElement("pre"));
    box.dataset.kind = "mermaid";
    box.title = "Mermaid text (install Graphviz for a drawing)";
  }
  highlight();
}

function draw(snapshot) {
  current = snapshot;
  const {answer, ...rest} = snapshot;
  const key = JSON.stringify(rest);
  if (key === last) return;
  last = key;
  drawChat(snapshot);
  drawSide(snapshot);
  drawGraph(snapshot.reloads);
  document.body.dataset.revision = snapshot.revision;
}

async function poll() {
  try {
    if (!busy) draw(await call("GET", "/api/chat"));
  } catch (err) {
    $("bot-status").textContent = "disconnected: " + err.message;
  }
  setTimeout(poll, 700);
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("input").value;
  if (!text.trim()) return;
  $("input").value = "";
  act("/api/send", {text});
});
$("restart").addEventListener("click", () => act("/api/restart", {language: $("lang").value}));
$("lang").addEventListener("change", () => act("/api/restart", {language: $("lang").value}));
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
$("chat").addEventListener("scroll", () => {
  const chat = $("chat");
  stick = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
});
$("chat").addEventListener("click", (event) => {
  if (event.target.classList.contains("spoiler")) event.target.classList.toggle("revealed");
});
poll();
