// The message list of a channel: top-level messages with their thread replies indented under
// them, and the current user's ephemerals in time order. Nodes are kept by ts and rebuilt only
// when their message changed, so selects, scroll and focus stay put while the page polls.

import { dropdown, h, menuButton } from "./dom.js";
import { mrkdwn, plainText } from "./mrkdwn.js";
import { renderAttachments, renderBlocks } from "./blocks.js";

/** Compare two Slack ts strings ("1796529526.000700") without losing precision. */
export function compareTs(a, b) {
  const [as, au = "0"] = String(a).split(".");
  const [bs, bu = "0"] = String(b).split(".");
  return Number(as) - Number(bs) || Number(au.padEnd(6, "0")) - Number(bu.padEnd(6, "0"));
}

/** The list's items: [{key, sig, build()}] in display order. */
export function listItems(data, view) {
  const messages = data.messages ?? [];
  const byTs = new Set(messages.map((m) => m.ts));
  const isReply = (m) => m.thread_ts && m.thread_ts !== m.ts && byTs.has(m.thread_ts);
  const replies = new Map();
  for (const m of messages.filter(isReply)) {
    replies.set(m.thread_ts, [...(replies.get(m.thread_ts) ?? []), m]);
  }
  const items = messages
    .filter((m) => !isReply(m))
    .map((m) => {
      const thread = (replies.get(m.ts) ?? []).sort((a, b) => compareTs(a.ts, b.ts));
      return {
        ts: m.ts,
        key: `m${m.ts}`,
        sig: JSON.stringify([m, thread, view.sig]),
        build: () => messageNode(m, thread, view),
      };
    });
  for (const e of data.ephemerals ?? []) {
    items.push({
      ts: e.ts,
      key: `e${e.ts}`,
      sig: JSON.stringify([e, view.sig]),
      build: () => ephemeralNode(e, view),
    });
  }
  return items.sort((a, b) => compareTs(a.ts, b.ts));
}

/** Make `container` show `items`, reusing the nodes of items whose signature is unchanged. */
export function reconcile(container, items, cache) {
  const nodes = items.map((item) => {
    const known = cache.get(item.key);
    if (known && known.sig === item.sig) return known.node;
    const node = item.build();
    node.dataset.key = item.key;
    if (known) known.node.replaceWith(node);
    cache.set(item.key, { sig: item.sig, node });
    return node;
  });
  const keys = new Set(items.map((i) => i.key));
  for (const key of [...cache.keys()]) if (!keys.has(key)) cache.delete(key);
  const current = [...container.children];
  if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) {
    container.replaceChildren(...nodes);
  }
}

function clockTime(ts) {
  const date = new Date(Number(String(ts).split(".")[0]) * 1000);
  return date.toISOString().slice(11, 16);
}

function content(m, ctx) {
  const body = m.blocks?.length
    ? renderBlocks(m.blocks, ctx)
    : h("div", { class: "mrkdwn text", html: mrkdwn(m.text, ctx) });
  return h(
    "div",
    { class: "content" },
    body,
    m.edited ? h("span", { class: "edited", text: "(edited)", dataset: { testid: "edited" } }) : null,
    renderAttachments(m.attachments, ctx),
    (m.files ?? []).map((f) => h("div", { class: "file", text: `📎 ${f.title ?? f.name ?? "file"}` })),
  );
}

function reactions(m, view) {
  if (!m.reactions?.length) return null;
  return h(
    "div",
    { class: "reactions" },
    m.reactions.map((r) =>
      h(
        "span",
        {
          class: `reaction ${r.users?.includes(view.me) ? "mine" : ""}`,
          title: (r.users ?? []).map((id) => view.ctx.userName(id) ?? id).join(", "),
          dataset: { testid: "reaction", name: r.name },
        },
        `${plainText(`:${r.name}:`)} ${r.count}`,
      ),
    ),
  );
}

/** The "⋯" menu: 📌 (react with :pushpin:) and the app's message shortcuts. */
function messageMenu(m, view) {
  const items = [
    { text: "📌 Pin (react :pushpin:)", testid: "menu-pin", pick: () => view.react(m, "pushpin") },
    ...view.shortcuts.map((s) => ({
      text: `⚡ ${s.name}`,
      testid: "menu-shortcut",
      pick: () => view.shortcut(m, s),
    })),
  ];
  const menu = dropdown(items, "message-menu-items");
  const anchor = menuButton(menu, "message-menu", view.ctx.openMenu);
  anchor.classList.add("message-tools");
  return anchor;
}

function messageNode(m, thread, view) {
  const node = singleMessage(m, view);
  if (thread.length) {
    node.append(
      h(
        "div",
        { class: "thread", dataset: { testid: "thread" } },
        thread.map((r) => singleMessage(r, view, true)),
      ),
    );
  }
  return node;
}

function singleMessage(m, view, reply = false) {
  const author = m.user === view.bot?.id ? view.bot.real_name : authorName(m, view);
  const ctx = { ...view.ctx, act: (action) => view.act(m.ts, action) };
  return h(
    "article",
    {
      class: `message ${reply ? "reply" : ""} ${m.pinned ? "pinned" : ""}`,
      dataset: { testid: "message", ts: m.ts, threadTs: m.thread_ts ?? "" },
    },
    h("div", { class: "avatar", text: (author || "?").slice(0, 1).toUpperCase() }),
    h(
      "div",
      { class: "message-body" },
      h(
        "div",
        { class: "meta" },
        h("span", { class: "author", text: author, dataset: { testid: "author" } }),
        m.user === view.bot?.id ? h("span", { class: "app-badge", text: "APP" }) : null,
        h("span", { class: "time", text: clockTime(m.ts) }),
        m.pinned ? h("span", { class: "pinned-mark", text: "📌 Pinned", dataset: { testid: "pinned-mark" } }) : null,
      ),
      content(m, ctx),
      reactions(m, view),
    ),
    messageMenu(m, view),
  );
}

function authorName(m, view) {
  const user = view.users.get(m.user);
  return user ? user.real_name || user.name : m.user_name || m.user;
}

function ephemeralNode(e, view) {
  const ctx = { ...view.ctx, act: (action) => view.actEphemeral(e, action) };
  return h(
    "article",
    { class: "message ephemeral", dataset: { testid: "ephemeral", ts: e.ts } },
    h("div", { class: "avatar", text: (view.bot?.real_name ?? "A").slice(0, 1) }),
    h(
      "div",
      { class: "message-body" },
      h(
        "div",
        { class: "meta" },
        h("span", { class: "author", text: view.bot?.real_name ?? "App" }),
        h("span", { class: "only-you", text: "👁 Only visible to you" }),
      ),
      content(e, ctx),
      h("button", {
        type: "button",
        class: "link-button",
        text: "Dismiss message",
        dataset: { testid: "dismiss" },
        onclick: () => view.dismiss(e),
      }),
    ),
  );
}
