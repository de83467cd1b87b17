// Block Kit interactive elements. Each renderer returns {node, state}: `state()` gives the
// element's value in the shape Slack puts in view.state.values (and, with action_id and
// block_id added, in a block_actions action). `dispatch(action)` is called when Slack would send
// a block_actions payload for a change; it is null inside input blocks, which only submit.

import { dropdown, h, menuButton } from "./dom.js";
import { plainHtml, plainText, textObjectHtml } from "./mrkdwn.js";

let uniq = 0;

/** The node and state of one element; unknown types show their name. */
export function renderElement(el, ctx, dispatch) {
  const render = RENDERERS[el.type];
  if (!render) return { node: h("span", { class: "unsupported", text: `[${el.type}]` }), state: null };
  const out = render(el, ctx, dispatch);
  out.node.dataset.actionId = el.action_id ?? "";
  out.node.dataset.elementType = el.type;
  return out;
}

function button(el, ctx, dispatch) {
  const node = h("button", {
    type: "button",
    class: `btn ${el.style ?? ""}`,
    html: plainHtml(el.text),
    title: el.accessibility_label,
  });
  node.addEventListener("click", () => {
    if (el.url) window.open(el.url, "_blank", "noopener");
    if (dispatch) {
      const send = () => dispatch({ type: "button", value: el.value, text: el.text });
      el.confirm ? ctx.confirm(el.confirm, send) : send();
    }
  });
  return { node, state: null };
}

function allOptions(el) {
  return el.options ?? (el.option_groups ?? []).flatMap((group) => group.options);
}

/** <option>s (and <optgroup>s) for `el`; each option's value is its index in allOptions. */
function optionNodes(el, selected) {
  let index = 0;
  const option = (o) => {
    const i = index++;
    return h("option", { value: String(i), selected: selected(o) }, plainText(o.text));
  };
  if (el.options) return el.options.map(option);
  return (el.option_groups ?? []).map((g) =>
    h("optgroup", { label: plainText(g.label) }, g.options.map(option)),
  );
}

function placeholderOption(el, text) {
  return h("option", { value: "", disabled: true, hidden: true }, plainText(el.placeholder) || text);
}

function staticSelect(el, ctx, dispatch) {
  const options = allOptions(el);
  const initial = el.initial_option?.value;
  const node = h(
    "select",
    { class: "select" },
    placeholderOption(el, "Select an item"),
    optionNodes(el, (o) => initial !== undefined && o.value === initial),
  );
  if (initial === undefined) node.value = "";
  const state = () => ({
    type: el.type,
    selected_option: node.value === "" ? null : options[Number(node.value)],
  });
  if (dispatch) node.addEventListener("change", () => dispatch(state()));
  return { node, state };
}

function multiStaticSelect(el, ctx, dispatch) {
  const options = allOptions(el);
  const initial = new Set((el.initial_options ?? []).map((o) => o.value));
  const node = h("select", { class: "select", multiple: true }, optionNodes(el, (o) => initial.has(o.value)));
  const state = () => ({
    type: el.type,
    selected_options: [...node.selectedOptions].map((o) => options[Number(o.value)]),
  });
  if (dispatch) node.addEventListener("change", () => dispatch(state()));
  return { node, state };
}

function choicesSelect(el, dispatch, choices, { multiple, initial, key }) {
  const chosen = new Set([initial].flat().filter(Boolean));
  const node = h(
    "select",
    { class: "select", multiple },
    multiple ? null : placeholderOption(el, "Select…"),
    choices.map((c) => h("option", { value: c.id, selected: chosen.has(c.id) }, c.label)),
  );
  if (!multiple && chosen.size === 0) node.value = "";
  const state = () => ({
    type: el.type,
    [key]: multiple ? [...node.selectedOptions].map((o) => o.value) : node.value || null,
  });
  if (dispatch) node.addEventListener("change", () => dispatch(state()));
  return { node, state };
}

function people(ctx) {
  return ctx.users.map((u) => ({ id: u.id, label: u.real_name || u.name }));
}

function channelChoices(ctx) {
  return ctx.channels.map((c) => ({ id: c.id, label: `#${c.name}` }));
}

const usersSelect = (el, ctx, dispatch) =>
  choicesSelect(el, dispatch, people(ctx), { initial: el.initial_user, key: "selected_user" });
const multiUsersSelect = (el, ctx, dispatch) =>
  choicesSelect(el, dispatch, people(ctx), {
    multiple: true,
    initial: el.initial_users,
    key: "selected_users",
  });
const conversationsSelect = (el, ctx, dispatch) =>
  choicesSelect(el, dispatch, channelChoices(ctx), {
    initial: el.initial_conversation,
    key: "selected_conversation",
  });
const channelsSelect = (el, ctx, dispatch) =>
  choicesSelect(el, dispatch, channelChoices(ctx), {
    initial: el.initial_channel,
    key: "selected_channel",
  });

function overflow(el, ctx, dispatch) {
  const items = (el.options ?? []).map((option) => ({
    html: plainHtml(option.text),
    pick: () => dispatch?.({ type: "overflow", selected_option: option }),
  }));
  return { node: menuButton(dropdown(items, "overflow-menu"), "overflow", ctx.openMenu), state: null };
}

function optionLabel(option, ctx) {
  return h(
    "span",
    { class: "option-text" },
    h("span", { html: textObjectHtml(option.text, ctx) }),
    option.description
      ? h("span", { class: "option-description", html: textObjectHtml(option.description, ctx) })
      : null,
  );
}

/** Checkboxes or radio buttons: one input per option, with its description. */
function choiceList(el, ctx, dispatch, inputType) {
  const name = `choices-${++uniq}`;
  const initial = new Set(
    inputType === "checkbox" ? (el.initial_options ?? []).map((o) => o.value) : [el.initial_option?.value],
  );
  const choices = (el.options ?? []).map((option) => ({
    option,
    input: h("input", { type: inputType, name, value: option.value, checked: initial.has(option.value) }),
  }));
  const chosen = () => choices.filter((c) => c.input.checked).map((c) => c.option);
  const state =
    inputType === "checkbox"
      ? () => ({ type: "checkboxes", selected_options: chosen() })
      : () => ({ type: "radio_buttons", selected_option: chosen()[0] ?? null });
  const node = h(
    "div",
    { class: "choices" },
    choices.map((c) => h("label", { class: "choice" }, c.input, optionLabel(c.option, ctx))),
  );
  if (dispatch) node.addEventListener("change", () => dispatch(state()));
  return { node, state };
}

const checkboxes = (el, ctx, dispatch) => choiceList(el, ctx, dispatch, "checkbox");
const radioButtons = (el, ctx, dispatch) => choiceList(el, ctx, dispatch, "radio");

function picker(inputType, initialKey, stateKey) {
  return (el, ctx, dispatch) => {
    const node = h("input", { type: inputType, class: "input", value: el[initialKey] ?? "" });
    const state = () => ({ type: el.type, [stateKey]: node.value || null });
    if (dispatch) node.addEventListener("change", () => dispatch(state()));
    return { node, state };
  };
}

function textInput(inputType) {
  return (el) => {
    const attrs = {
      class: "input",
      placeholder: plainText(el.placeholder) || null,
      maxlength: el.max_length ? String(el.max_length) : null,
    };
    const node = el.multiline
      ? h("textarea", { ...attrs, rows: "4" })
      : h("input", { ...attrs, type: inputType });
    node.value = el.initial_value ?? "";
    // Empty inputs submit null, as Slack's do.
    const state = () => ({ type: el.type, value: node.value === "" ? null : node.value });
    return { node, state };
  };
}

function image(el) {
  return { node: h("span", { class: "image-alt", text: `🖼 ${el.alt_text ?? "image"}` }), state: null };
}

const RENDERERS = {
  button,
  static_select: staticSelect,
  external_select: staticSelect,
  multi_static_select: multiStaticSelect,
  multi_external_select: multiStaticSelect,
  users_select: usersSelect,
  multi_users_select: multiUsersSelect,
  conversations_select: conversationsSelect,
  channels_select: channelsSelect,
  overflow,
  checkboxes,
  radio_buttons: radioButtons,
  datepicker: picker("date", "initial_date", "selected_date"),
  timepicker: picker("time", "initial_time", "selected_time"),
  plain_text_input: textInput("text"),
  email_text_input: textInput("email"),
  url_text_input: textInput("url"),
  number_input: textInput("number"),
  image,
};
