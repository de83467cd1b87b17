// Slack text to safe HTML. Every character of a message is HTML-escaped before any markup is
// added, so nothing a message contains can become markup of its own: the only tags in the output
// are the ones written here, and the only href values are http(s) and mailto links.

const EMOJI = {
  "+1": "👍", "-1": "👎", "0": "0️⃣", alarm_clock: "⏰", arrows_counterclockwise: "🔄",
  ballot_box_with_check: "☑️", bell: "🔔", bulb: "💡", bust_in_silhouette: "👤",
  calendar: "📆", clipboard: "📋", crown: "👑", dart: "🎯", eyes: "👀", fast_forward: "⏩",
  file_cabinet: "🗄️", fire: "🔥", heavy_check_mark: "✔️", hourglass: "⌛",
  hourglass_flowing_sand: "⏳", information_source: "ℹ️", large_green_circle: "🟢",
  large_orange_circle: "🟠", large_red_circle: "🔴", large_yellow_circle: "🟡",
  leftwards_arrow_with_hook: "↩️", link: "🔗", lock: "🔒", loudspeaker: "📢", mag: "🔍",
  mega: "📣", memo: "📝", no_entry: "⛔", pager: "📟", pencil: "📝", pushpin: "📌",
  red_circle: "🔴", rocket: "🚀", rotating_light: "🚨", scales: "⚖️", sos: "🆘",
  speech_balloon: "💬", spiral_calendar_pad: "🗓️", spiral_note_pad: "🗒️", star: "⭐",
  tada: "🎉", thumbsup: "👍", thumbsdown: "👎", warning: "⚠️", wave: "👋",
  white_check_mark: "✅", white_large_square: "⬜", x: "❌", zap: "⚡",
};

const OPEN = "\uE000";
const CLOSE = "\uE001";
const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Escape the five characters that HTML gives meaning to. */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Slack sends &, < and > inside text as entities; turn them back into characters. */
function decodeSlackEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The character for an emoji short name, or null when unknown. */
export function emojiChar(name) {
  return EMOJI[name] ?? null;
}

/** Replace :short_name: with its character where known; `html` is already escaped. */
function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

/** A plain_text object (or a string) as escaped HTML. */
export function plainHtml(obj) {
  if (obj == null) return "";
  const text = typeof obj === "string" ? obj : obj.text;
  const html = escapeHtml(text);
  return typeof obj === "object" && obj.emoji === false ? html : emojify(html);
}

/** A plain_text object (or a string) as text, emoji names replaced (for textContent). */
export function plainText(obj) {
  if (obj == null) return "";
  const text = String(typeof obj === "string" ? obj : obj.text ?? "");
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

/** A text object of either type as escaped HTML. */
export function textObjectHtml(obj, ctx) {
  if (obj == null) return "";
  if (typeof obj === "string") return mrkdwn(obj, ctx);
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, ctx) : plainHtml(obj);
}

/** One <…> token of Slack's message format, as HTML. */
function tokenHtml(inner, ctx) {
  const bar = inner.indexOf("|");
  const target = decodeSlackEntities(bar < 0 ? inner : inner.slice(0, bar));
  const label = bar < 0 ? null : decodeSlackEntities(inner.slice(bar + 1));
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = ctx.userName(id) ?? label ?? id;
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = ctx.channelName(id) ?? label ?? id;
    return `<a href="#" class="channel-link" data-channel="${escapeHtml(id)}">#${escapeHtml(name)}</a>`;
  }
  if (target.startsWith("!")) return specialHtml(target.slice(1), label);
  const text = escapeHtml(label ?? target);
  if (!SAFE_URL.test(target)) return text;
  return `<a href="${escapeHtml(target)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
}

/** <!here>, <!channel>, <!everyone>, <!date^…|fallback>, <!subteam^…|@name>. */
function specialHtml(command, label) {
  const name = command.split("^")[0];
  if (["here", "channel", "everyone"].includes(name)) {
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  }
  if (name === "subteam") return `<span class="mention">${escapeHtml(label ?? "@team")}</span>`;
  return escapeHtml(label ?? command);
}

/**
 * Slack mrkdwn as safe HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes,
 * <links>, <@user>, <#channel>, <!special> and :emoji:.
 * `ctx` answers userName(id) and channelName(id) (null when unknown).
 */
export function mrkdwn(text, ctx) {
  const saved = [];
  const keep = (html) => `${OPEN}${saved.push(html) - 1}${CLOSE}`;
  // Our placeholder characters cannot come from the message itself.
  let s = String(text ?? "").replace(/[\uE000\uE001]/g, "");
  s = s.replace(/<([^<>\n]*)>/g, (_, inner) => keep(tokenHtml(inner, ctx)));
  s = escapeHtml(decodeSlackEntities(s));
  s = s.replace(/```\n?([\s\S]*?)\n?```/g, (_, code) => keep(`<pre>${code}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  s = inline(s, "\\*", "b");
  s = inline(s, "_", "i");
  s = inline(s, "~", "s");
  s = s.replace(/^&#62; ?(.*)$/gm, '<span class="quote">$1</span>');
  s = emojify(s);
  const restore = (html) =>
    html.replace(new RegExp(`${OPEN}(\\d+)${CLOSE}`, "g"), (_, i) => restore(saved[Number(i)]));
  return restore(s);
}

/** Wrap `mark`text`mark` in <tag> where Slack would: not inside words, not across lines. */
function inline(html, mark, tag) {
  const re = new RegExp(
    `(^|[^\\w${mark}])${mark}(?=\\S)([^${mark}\\n]*?[^\\s${mark}])${mark}(?![\\w${mark}])`,
    "g",
  );
  return html.replace(re, `$1<${tag}>$2</${tag}>`);
}
