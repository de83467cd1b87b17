// The sandbox page: polls the workspace's state (GET ui/state) and draws it as Slack would;
// every click, selection, message and submission goes to the sandbox's JSON API, which sends
// it to the bot the way Slack does. See sandbox/ui.py for the API.

import { h } from "./dom.js";
import { mrkdwn, plainText } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";
import { listItems, reconcile } from "./messages.js";
import { modalDialog } from "./modal.js";

const BASE = new URL("../", import.meta.url); // the sandbox's root, e.g. /sandbox/
const POLL_MS = 700;
const DEFAULT_USER = "U_ALICE";
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

const params = new URLSearchParams(location.search);
const sel = {
  user: params.get("user") ?? DEFAULT_USER,
  channel: params.get("channel"),
  home: params.get("home") === "1",
};
let data = null; // the last state drawn
let drawn = { version: null, selection: null };
const sigs = {}; // what each part of the page was last drawn from
const messageNodes = new Map();
let modalShown = null; // {id, sig, form}

// ---- talking to the sandbox --------------------------------------------------------------

async function api(path, body, { quiet = false } = {}) {
  let answer;
  try {
    const response = await fetch(new URL(`ui/${path}`, BASE), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  } catch (error) {
    answer = { ok: false, error: `The sandbox did not answer (${error.message})` };
  }
  if (!answer.ok && !quiet) toast(answer.error ?? "That did not work.");
  refresh();
  return answer;
}

function selectionKey() {
  return JSON.stringify(sel);
}

async function fetchState() {
  const query = new URLSearchParams({ user: sel.user });
  if (sel.channel && !sel.home) query.set("channel", sel.channel);
  const response = await fetch(new URL(`ui/state?${query}`, BASE), { cache: "no-store" });
  if (response.status === 400 && sel.user !== DEFAULT_USER) {
    sel.user = DEFAULT_USER; // a person this workspace does not have (an old link)
    saveSelection();
    return fetchState();
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

let inflight = null;
let again = false;

/** Fetch the state now (once more after the fetch in flight, if there is one) and draw it. */
function refresh() {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    do {
      again = false;
      await pollOnce();
    } while (again);
  })().finally(() => {
    inflight = null;
  });
  return inflight;
}

async function pollOnce() {
  const asked = selectionKey();
  let state;
  try {
    state = await fetchState();
  } catch (error) {
    document.body.classList.add("offline");
    return;
  }
  document.body.classList.remove("offline");
  if (asked !== selectionKey()) {
    again = true; // the selection changed while the answer was on its way
    return;
  }
  if (!settleSelection(state)) {
    again = true;
    return;
  }
  if (state.version === drawn.version && asked === drawn.selection) return;
  data = state;
  draw();
  drawn = { version: state.version, selection: asked };
  document.body.dataset.version = String(state.version);
}

function loop() {
  refresh().finally(() => setTimeout(loop, POLL_MS));
}

/** Fix a selection the state cannot show (unknown user, channel gone); false if it changed. */
function settleSelection(state) {
  const before = selectionKey();
  if (!state.users.some((u) => u.id === sel.user) && state.users.length) sel.user = state.users[0].id;
  if (!sel.home && !state.channels.some((c) => c.id === sel.channel)) {
    const fallback = state.channels.find((c) => c.name === "incidents") ?? state.channels[0];
    sel.channel = fallback?.id ?? null;
  }
  if (before === selectionKey()) return true;
  saveSelection();
  return false;
}

function saveSelection() {
  const query = new URLSearchParams({ user: sel.user });
  if (sel.home) query.set("home", "1");
  else if (sel.channel) query.set("channel", sel.channel);
  history.replaceState(null, "", `?${query}`);
}

function select(change) {
  Object.assign(sel, change);
  saveSelection();
  if (sel.home) api("home", { user: sel.user });
  else refresh();
}

// ---- drawing -----------------------------------------------------------------------------

function changed(part, ...inputs) {
  const sig = JSON.stringify(inputs);
  if (sigs[part] === sig) return false;
  sigs[part] = sig;
  return true;
}

function blockContext() {
  const people = new Map([...data.users, data.bot].filter(Boolean).map((u) => [u.id, u]));
  const channels = new Map(data.channels.map((c) => [c.id, c]));
  return {
    users: data.users,
    channels: data.channels,
    userName: (id) => people.get(id)?.name ?? null,
    channelName: (id) => channels.get(id)?.name ?? null,
    confirm: confirmDialog,
    openMenu,
    act: null,
  };
}

function draw() {
  drawUsers();
  drawClock();
  drawChannels();
  $("messages").hidden = sel.home;
  $("channel-header").hidden = sel.home;
  $("composer-form").hidden = sel.home;
  $("home-view").hidden = !sel.home;
  if (sel.home) drawHome();
  else drawChannel();
  drawModal();
}

function drawUsers() {
  if (!changed("users", data.users, sel.user)) return;
  const switcher = $("user-switcher");
  switcher.replaceChildren(
    ...data.users.map((u) =>
      h("option", { value: u.id, selected: u.id === sel.user }, `${u.real_name || u.name} (@${u.name})`),
    ),
  );
  switcher.value = sel.user;
}

function drawClock() {
  const now = new Date(data.now);
  const text = Number.isNaN(now.getTime())
    ? String(data.now)
    : `🕒 ${now.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const minutes = Math.round((data.offset_seconds ?? 0) / 60);
  const clock = $("clock");
  clock.textContent = minutes ? `${text} (+${formatMinutes(minutes)})` : text;
  clock.dataset.now = data.now;
}

function formatMinutes(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest} min`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

function drawChannels() {
  if (!changed("channels", data.channels, sel)) return;
  $("home").classList.toggle("selected", sel.home);
  $("channels").replaceChildren(
    ...data.channels.map((c) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: [
              "nav-item",
              c.id === sel.channel && !sel.home ? "selected" : "",
              c.is_archived ? "archived" : "",
              c.is_member ? "" : "not-member",
            ].join(" "),
            title: c.is_archived ? `#${c.name} (archived)` : `#${c.name}`,
            dataset: { testid: `channel-${c.name}`, channelId: c.id },
            onclick: () => select({ channel: c.id, home: false }),
          },
          h("span", { class: "channel-icon", text: c.is_private ? "🔒" : "#" }),
          c.name,
        ),
      ),
    ),
  );
}

function drawChannel() {
  const channel = data.channel;
  if (changed("header", channel, pinnedMessages(), data.users)) drawHeader(channel);
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const switched = list.dataset.channel !== sel.channel;
  if (switched) messageNodes.clear();
  list.dataset.channel = sel.channel ?? "";
  reconcile(list, listItems(data, messageView()), messageNodes);
  if (switched || nearBottom) list.scrollTop = list.scrollHeight;
}

function pinnedMessages() {
  const pins = data.channel?.pins ?? [];
  return pins.map((ts) => data.messages?.find((m) => m.ts === ts) ?? { ts, text: "" });
}

function drawHeader(channel) {
  const ctx = blockContext();
  $("channel-name").textContent = channel ? `${channel.is_private ? "🔒" : "#"} ${channel.name}` : "";
  $("channel-name").classList.toggle("archived", Boolean(channel?.is_archived));
  $("channel-topic").innerHTML = channel ? mrkdwn(channel.topic, ctx) : "";
  const pinned = pinnedMessages();
  $("pins").textContent = `📌 ${pinned.length}`;
  $("pin-list").replaceChildren(
    ...(pinned.length ? [] : [h("div", { class: "menu-empty", text: "Nothing pinned yet" })]),
    ...pinned.map((m) =>
      h("button", {
        type: "button",
        class: "menu-item",
        text: pinPreview(m),
        dataset: { testid: "pin-item", ts: m.ts },
        onclick: () => {
          $("pin-list").hidden = true;
          scrollToMessage(m.ts);
        },
      }),
    ),
  );
  $("bookmarks").replaceChildren(
    ...(channel?.bookmarks ?? []).map((b) =>
      /^https?:\/\//i.test(b.link ?? "")
        ? h("a", { href: b.link, target: "_blank", rel: "noopener noreferrer", text: `🔖 ${b.title}`, dataset: { testid: "bookmark" } })
        : h("span", { text: `🔖 ${b.title}`, dataset: { testid: "bookmark" } }),
    ),
  );
}

function pinPreview(m) {
  const header = m.blocks?.find((b) => b.type === "header");
  const text = header ? plainText(header.text) : plainText(m.text);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text || m.ts;
}

function scrollToMessage(ts) {
  const node = [...document.querySelectorAll('[data-testid="message"]')].find((n) => n.dataset.ts === ts);
  if (!node) return;
  node.scrollIntoView({ block: "center" });
  node.classList.add("highlight");
  setTimeout(() => node.classList.remove("highlight"), 2000);
}

function messageView() {
  const ctx = blockContext();
  const channel = sel.channel;
  return {
    ctx,
    me: sel.user,
    bot: data.bot,
    users: new Map(data.users.map((u) => [u.id, u])),
    shortcuts: (data.shortcuts ?? []).filter((s) => s.type === "message"),
    sig: [sel.user, data.users, data.channels, data.shortcuts],
    act: (ts, action) => api("action", { user: sel.user, channel, message_ts: ts, action }),
    actEphemeral: (e, action) =>
      api("action", { user: sel.user, channel: e.channel ?? channel, message_ts: e.ts, action }),
    react: (m, name) => api("react", { user: sel.user, channel, ts: m.ts, name }),
    shortcut: (m, s) =>
      api("shortcut", { user: sel.user, channel, ts: m.ts, callback_id: s.callback_id }),
    dismiss: (e) => api("dismiss", { user: sel.user, ts: e.ts }),
  };
}

function homeView() {
  if (!data.home) return null;
  return data.home.view ? { id: data.home.id, ...data.home.view } : data.home;
}

function drawHome() {
  const home = homeView();
  if (!changed("home", home, sel.user, data.users, data.channels)) return;
  const ctx = {
    ...blockContext(),
    act: (action) => api("action", { user: sel.user, view_id: home.id, action }),
  };
  $("home-view").replaceChildren(
    home
      ? renderBlocks(home.blocks, ctx)
      : h("p", { class: "empty", text: "The app has not published a Home tab for you yet." }),
  );
}

function drawModal() {
  const overlay = $("modal-overlay");
  const modal = data.modal;
  if (!modal) {
    modalShown = null;
    overlay.hidden = true;
    overlay.replaceChildren();
    return;
  }
  const sig = JSON.stringify([modal, sel.user]);
  if (modalShown?.sig === sig) return;
  const actions = {
    act: (action) => api("action", { user: sel.user, view_id: modal.id, action }),
    submit: (values) => api("submit", { user: sel.user, view_id: modal.id, values }),
    close: () => api("close", { user: sel.user, view_id: modal.id }),
  };
  const { dialog, form } = modalDialog(modal, modalShown, blockContext(), actions);
  overlay.replaceChildren(dialog);
  overlay.hidden = false;
  modalShown = { id: modal.id, sig, form };
}

// ---- small pieces ------------------------------------------------------------------------

function openMenu(menu) {
  const opening = menu.hidden;
  closeMenus();
  menu.hidden = !opening;
}

function closeMenus() {
  for (const menu of document.querySelectorAll(".menu")) menu.hidden = true;
}

function confirmDialog(confirm, go) {
  const close = () => layer.remove();
  const layer = h(
    "div",
    { class: "overlay confirm-layer" },
    h(
      "div",
      { class: "modal confirm", role: "alertdialog", dataset: { testid: "confirm" } },
      h("header", {}, h("h2", { text: plainText(confirm.title) || "Are you sure?" })),
      h("div", { class: "modal-body mrkdwn", html: mrkdwn(confirm.text?.text ?? "", blockContext()) }),
      h(
        "footer",
        {},
        h("button", { type: "button", class: "btn", text: plainText(confirm.deny) || "Cancel", onclick: close }),
        h("button", {
          type: "button",
          class: `btn ${confirm.style === "danger" ? "danger" : "primary"}`,
          text: plainText(confirm.confirm) || "Yes",
          onclick: () => {
            close();
            go();
          },
        }),
      ),
    ),
  );
  document.body.append(layer);
}

let toastTimer = null;

function toast(message) {
  const node = $("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 6000);
}

async function send(event) {
  event.preventDefault();
  const composer = $("composer");
  const text = composer.value.trim();
  if (!text || !data || !sel.channel) return;
  const error = $("composer-error");
  const answer = await api(
    "command",
    // The sandbox turns @name and #channel into mentions, as Slack's client does.
    { user: sel.user, channel: sel.channel, text },
    { quiet: true },
  );
  error.hidden = answer.ok;
  error.textContent = answer.ok ? "" : answer.error ?? "That did not work.";
  if (answer.ok && composer.value.trim() === text) composer.value = "";
}

function wire() {
  $("composer-form").addEventListener("submit", send);
  $("composer").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer-form").requestSubmit();
    }
  });
  $("user-switcher").addEventListener("change", (event) => select({ user: event.target.value }));
  $("home").addEventListener("click", () => select({ home: true }));
  $("pins").addEventListener("click", () => openMenu($("pin-list")));
  for (const button of document.querySelectorAll("[data-minutes]")) {
    button.addEventListener("click", () => api("advance", { minutes: Number(button.dataset.minutes) }));
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".channel-link");
    if (link) {
      event.preventDefault();
      const id = link.dataset.channel;
      if (data?.channels.some((c) => c.id === id)) select({ channel: id, home: false });
      else toast("That channel is not one you can see.");
    }
    if (!event.target.closest(".menu-anchor")) closeMenus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeMenus();
  });
}

wire();
if (sel.home) api("home", { user: sel.user });
loop();
