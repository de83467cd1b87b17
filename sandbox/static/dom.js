// A small helper to build DOM nodes without string concatenation.

/**
 * h("button", {class: "btn", onclick: fn, dataset: {testid: "send"}}, "Send") → <button>.
 * Strings among the children become text nodes (never markup); use {html} for
 * markup that mrkdwn.js produced.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === "html") node.innerHTML = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A hidden menu of buttons; picking one hides the menu, then calls its `pick`.
 * items: [{text | html, testid?, pick()}] */
export function dropdown(items, testid) {
  const menu = h("div", { class: "menu", hidden: true, dataset: { testid } });
  for (const item of items) {
    const pick = () => {
      menu.hidden = true;
      item.pick();
    };
    menu.append(
      h("button", {
        type: "button",
        class: "menu-item",
        text: item.text,
        html: item.html,
        dataset: item.testid ? { testid: item.testid } : null,
        onclick: pick,
      }),
    );
  }
  return menu;
}

/** A "⋯" button that opens `menu` through `openMenu` (which closes any other), beside it. */
export function menuButton(menu, testid, openMenu) {
  const toggle = h("button", {
    type: "button",
    class: `btn ${testid}`,
    text: "⋯",
    title: "More actions",
    dataset: { testid },
    onclick: () => openMenu(menu),
  });
  return h("span", { class: "menu-anchor" }, toggle, menu);
}
