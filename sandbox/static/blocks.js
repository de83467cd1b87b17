// Block Kit layout blocks, rendered as Slack shows them. Text goes through mrkdwn.js (escaped
// first); interactive elements come from elements.js.
//
// ctx: {users, channels, userName(id), channelName(id), confirm(confirm, go), openMenu(menu),
//       act(action) | null — send a block_actions action (null: nothing is sent),
//       form — a Form when the blocks are a modal's}

import { h } from "./dom.js";
import { emojiChar, mrkdwn, plainHtml, plainText, textObjectHtml } from "./mrkdwn.js";
import { renderElement } from "./elements.js";

/** The state of a modal's inputs: what view.state.values would hold at submit. */
export class Form {
  constructor() {
    this.fields = [];
  }

  add(field) {
    this.fields.push(field);
  }

  /** {block_id: {action_id: state}} for every stateful element. */
  values() {
    const values = {};
    for (const f of this.fields) {
      values[f.blockId] ??= {};
      values[f.blockId][f.actionId] = f.state();
    }
    return values;
  }

  /** {block_id: message} for required inputs left empty (Slack checks these itself). */
  missing() {
    const errors = {};
    for (const f of this.fields) {
      if (f.required && isEmpty(f.state())) errors[f.blockId] = "Please complete this required field.";
      const min = f.minLength;
      const value = f.state()?.value;
      if (min && value && value.length < min) errors[f.blockId] = `Enter at least ${min} characters.`;
    }
    return errors;
  }
}

function isEmpty(state) {
  if (!state) return true;
  const [, value] = Object.entries(state).find(([k]) => k !== "type") ?? [];
  return value == null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** A container holding every block, in order. */
export function renderBlocks(blocks, ctx) {
  return h(
    "div",
    { class: "blocks" },
    (blocks ?? []).map((block, index) => renderBlock(block, index, ctx)),
  );
}

function renderBlock(block, index, ctx) {
  const render = BLOCKS[block.type];
  const node = render
    ? render(block, ctx, index)
    : h("div", { class: "unsupported", text: `[unsupported block: ${block.type}]` });
  node.classList.add("block", `block-${block.type}`);
  if (block.block_id) node.dataset.blockId = block.block_id;
  return node;
}

/** An element in a layout block (not an input): it sends an action when used. */
function interactive(el, block, index, ctx) {
  const blockId = block.block_id ?? `block_${index}`;
  const actionId = el.action_id ?? `${el.type}_${index}`;
  const dispatch = ctx.act
    ? (state) => ctx.act({ ...state, action_id: actionId, block_id: blockId })
    : null;
  const { node, state } = renderElement(el, ctx, dispatch);
  if (state && ctx.form) ctx.form.add({ blockId, actionId, state, required: false });
  return node;
}

function header(block) {
  return h("div", { html: plainHtml(block.text) });
}

function section(block, ctx, index) {
  const main = h("div", { class: "section-main" });
  if (block.text) main.append(h("div", { class: "mrkdwn", html: textObjectHtml(block.text, ctx) }));
  if (block.fields?.length) {
    main.append(
      h(
        "div",
        { class: "fields" },
        block.fields.map((f) => h("div", { class: "field mrkdwn", html: textObjectHtml(f, ctx) })),
      ),
    );
  }
  const accessory = block.accessory
    ? h("div", { class: "accessory" }, interactive(block.accessory, block, index, ctx))
    : null;
  return h("div", {}, main, accessory);
}

function context(block, ctx) {
  return h(
    "div",
    {},
    (block.elements ?? []).map((el) =>
      el.type === "image"
        ? h("span", { class: "image-alt", text: `🖼 ${el.alt_text ?? ""}` })
        : h("span", { class: "mrkdwn", html: textObjectHtml(el, ctx) }),
    ),
  );
}

function divider() {
  return h("hr");
}

function actions(block, ctx, index) {
  return h("div", {}, (block.elements ?? []).map((el) => interactive(el, block, index, ctx)));
}

function image(block) {
  return h(
    "div",
    {},
    block.title ? h("div", { class: "image-title", html: plainHtml(block.title) }) : null,
    h("span", { class: "image-alt", text: `🖼 ${block.alt_text ?? "image"}` }),
  );
}

let inputs = 0;

function input(block, ctx, index) {
  const el = block.element ?? {};
  const blockId = block.block_id ?? `input_${index}`;
  const actionId = el.action_id ?? `${el.type}_${index}`;
  // dispatch_action inputs would send an action per keystroke; the sandbox only submits them.
  const { node, state } = renderElement(el, ctx, null);
  const id = `input-${++inputs}`;
  const labelled = ["INPUT", "SELECT", "TEXTAREA"].includes(node.tagName);
  if (labelled) node.id = id;
  ctx.form?.add({
    blockId,
    actionId,
    state: state ?? (() => null),
    required: !block.optional,
    minLength: el.min_length,
  });
  return h(
    "div",
    { dataset: { blockId } },
    h(
      "label",
      { class: "input-label", for: labelled ? id : null },
      h("span", { html: plainHtml(block.label) }),
      block.optional ? h("span", { class: "optional", text: " (optional)" }) : null,
    ),
    node,
    block.hint ? h("div", { class: "hint", html: plainHtml(block.hint) }) : null,
  );
}

function richText(block, ctx) {
  return h("div", { class: "rich-text" }, (block.elements ?? []).map((el) => richBlock(el, ctx)));
}

function richBlock(el, ctx) {
  const inline = (elements) => (elements ?? []).map((e) => richInline(e, ctx));
  switch (el.type) {
    case "rich_text_list": {
      const tag = el.style === "ordered" ? "ol" : "ul";
      return h(tag, {}, (el.elements ?? []).map((item) => h("li", {}, inline(item.elements))));
    }
    case "rich_text_preformatted":
      return h("pre", {}, inline(el.elements));
    case "rich_text_quote":
      return h("blockquote", {}, inline(el.elements));
    default:
      return h("div", { class: "rich-section" }, inline(el.elements));
  }
}

function richInline(e, ctx) {
  switch (e.type) {
    case "text":
      return styled(h("span", { text: e.text }), e.style);
    case "link": {
      const safe = /^(https?:\/\/|mailto:)/i.test(e.url ?? "");
      const node = safe
        ? h("a", { href: e.url, target: "_blank", rel: "noopener noreferrer", text: e.text || e.url })
        : h("span", { text: e.text || e.url });
      return styled(node, e.style);
    }
    case "user":
      return h("span", { class: "mention", text: `@${ctx.userName(e.user_id) ?? e.user_id}` });
    case "channel":
      return h("span", { class: "mention", text: `#${ctx.channelName(e.channel_id) ?? e.channel_id}` });
    case "broadcast":
      return h("span", { class: "mention", text: `@${e.range}` });
    case "emoji":
      return h("span", { text: emojiChar(e.name) ?? `:${e.name}:` });
    default:
      return h("span", { text: e.text ?? e.fallback ?? "" });
  }
}

function styled(node, style) {
  const tags = { bold: "b", italic: "i", strike: "s", code: "code" };
  let out = node;
  for (const [key, tag] of Object.entries(tags)) if (style?.[key]) out = h(tag, {}, out);
  return out;
}

function file(block) {
  return h("div", { class: "image-alt", text: `📎 ${block.external_id ?? "file"}` });
}

const BLOCKS = { header, section, context, divider, actions, image, input, rich_text: richText, file };

/** Legacy attachments: a coloured bar with pretext, title, text, fields and blocks. */
export function renderAttachments(attachments, ctx) {
  return (attachments ?? []).map((a) =>
    h(
      "div",
      { class: "attachment", style: `border-left-color: ${safeColor(a.color)}` },
      a.pretext ? h("div", { class: "mrkdwn", html: mrkdwn(a.pretext, ctx) }) : null,
      a.title ? h("div", { class: "attachment-title", text: plainText(a.title) }) : null,
      a.text ? h("div", { class: "mrkdwn", html: mrkdwn(a.text, ctx) }) : null,
      (a.fields ?? []).map((f) =>
        h("div", { class: "field mrkdwn" }, h("b", { text: f.title ?? "" }), h("div", { html: mrkdwn(f.value, ctx) })),
      ),
      a.blocks ? renderBlocks(a.blocks, ctx) : null,
    ),
  );
}

function safeColor(color) {
  const named = { good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a" };
  if (named[color]) return named[color];
  return /^#?[0-9a-fA-F]{3,8}$/.test(color ?? "") ? `#${color.replace("#", "")}` : "#ddd";
}
