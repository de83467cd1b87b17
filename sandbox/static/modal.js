// The current user's topmost modal, drawn over the page. The dialog is rebuilt only when the
// modal itself changes (a new view, an update from the bot, new errors), never on a poll, so
// what the user typed stays; when the bot updates the open view, typed values are carried into
// the new one by block_id and action_id, as Slack does.

import { h } from "./dom.js";
import { plainText } from "./mrkdwn.js";
import { Form, renderBlocks } from "./blocks.js";

const INITIAL = {
  value: "initial_value",
  selected_option: "initial_option",
  selected_options: "initial_options",
  selected_user: "initial_user",
  selected_users: "initial_users",
  selected_date: "initial_date",
  selected_time: "initial_time",
  selected_conversation: "initial_conversation",
  selected_channel: "initial_channel",
};

/** Put each `values` entry into its element's initial_* field, in a copy of `view`. */
export function carryOver(view, values) {
  const copy = structuredClone(view);
  const apply = (el, blockId) => {
    const state = values?.[blockId]?.[el?.action_id];
    if (!state) return;
    for (const [key, value] of Object.entries(state)) {
      if (INITIAL[key] && value != null) el[INITIAL[key]] = value;
    }
  };
  for (const block of copy.blocks ?? []) {
    if (block.element) apply(block.element, block.block_id);
    if (block.accessory) apply(block.accessory, block.block_id);
    for (const el of block.type === "actions" ? block.elements ?? [] : []) apply(el, block.block_id);
  }
  return copy;
}

/** Show each error under its input block (and clear the others). */
export function showErrors(root, errors) {
  for (const old of root.querySelectorAll(".input-error")) old.remove();
  for (const block of root.querySelectorAll(".has-error")) block.classList.remove("has-error");
  for (const [blockId, message] of Object.entries(errors ?? {})) {
    const block = [...root.querySelectorAll(".block[data-block-id]")].find(
      (b) => b.dataset.blockId === blockId,
    );
    const error = h("div", { class: "input-error", text: message, dataset: { testid: "modal-error", blockId } });
    if (block) {
      block.classList.add("has-error");
      block.append(error);
    } else {
      root.prepend(error);
    }
  }
}

/**
 * Build the dialog for `modal` ({id, view, errors}); `previous` is {id, form} of the dialog it
 * replaces. actions: {act(action), submit(values) → answer, close()}.
 */
export function modalDialog(modal, previous, ctx, actions) {
  const form = new Form();
  const view = previous?.id === modal.id ? carryOver(modal.view, previous.form.values()) : modal.view;
  const body = h("div", { class: "modal-body" }, renderBlocks(view.blocks, { ...ctx, form, act: actions.act }));
  const submit = view.submit
    ? h("button", { type: "submit", class: "btn primary", text: plainText(view.submit), dataset: { testid: "modal-submit" } })
    : null;
  const dialog = h(
    "form",
    {
      class: "modal",
      role: "dialog",
      "aria-label": plainText(view.title),
      dataset: { testid: "modal", viewId: modal.id, callbackId: view.callback_id ?? "" },
      novalidate: true,
    },
    h(
      "header",
      {},
      h("h2", { text: plainText(view.title), dataset: { testid: "modal-title" } }),
      h("button", { type: "button", class: "close-x", text: "×", title: "Close", onclick: actions.close }),
    ),
    body,
    h(
      "footer",
      {},
      h("button", {
        type: "button",
        class: "btn",
        text: plainText(view.close) || (view.submit ? "Cancel" : "Close"),
        dataset: { testid: "modal-close" },
        onclick: actions.close,
      }),
      submit,
    ),
  );
  dialog.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!submit || submit.disabled) return;
    const missing = form.missing();
    if (Object.keys(missing).length) return showErrors(body, missing);
    submit.disabled = true;
    const answer = await actions.submit(form.values());
    submit.disabled = false;
    if (answer?.ok && answer.closed === false) showErrors(body, answer.errors);
  });
  showErrors(body, modal.errors);
  return { dialog, form };
}
