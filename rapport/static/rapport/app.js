// Small progressive enhancements; every page works without this file.
document.addEventListener("focusin", (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-focus")) el.select();
});
// Close the user menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.user-menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    document.querySelectorAll("details.user-menu[open]").forEach((menu) => menu.removeAttribute("open"));
  }
});

// Inbox keyboard: j/k move, o or Enter open, r reply, n note, e resolve, a take, / search.
(function () {
  const typing = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("[data-row]"));
  let cursor = -1;
  function mark(index) {
    const all = rows();
    if (!all.length) return;
    cursor = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("cursor", i === cursor));
    all[cursor].scrollIntoView({ block: "nearest" });
  }
  function open() {
    const row = rows()[cursor];
    if (row) row.querySelector("a").click();
  }
  function click(selector) {
    const el = document.querySelector(selector);
    if (el) el.click();
  }
  document.addEventListener("keydown", (event) => {
    if (!document.querySelector("[data-inbox]")) return;
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.matches("[data-reply]")) {
        event.preventDefault();
        target.form.requestSubmit();
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const reply = document.querySelector("[data-reply]");
    switch (event.key) {
      case "j": mark(cursor + 1); break;
      case "k": mark(cursor - 1); break;
      case "o": case "Enter": open(); break;
      case "r": if (reply) { event.preventDefault(); reply.focus(); } break;
      case "n": {
        const note = document.querySelector("[data-note-mode]");
        if (note && reply) { event.preventDefault(); note.checked = true; reply.focus(); }
        break;
      }
      case "a": click("[data-take]"); break;
      case "e": {
        const form = document.querySelector("[data-resolve-form]");
        if (!form) break;
        const action = form.querySelector("select[name=action]");
        if (action) { event.preventDefault(); action.focus(); } else { form.requestSubmit(); }
        break;
      }
      case "/": {
        const search = document.querySelector("[data-search]");
        if (search) { event.preventDefault(); search.focus(); }
        break;
      }
      default: return;
    }
  });
  // Keep the list's cursor on the open conversation after the list refreshes.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "conversation-list") {
      const all = rows();
      const selected = all.findIndex((row) => row.classList.contains("selected"));
      if (cursor >= 0) mark(selected >= 0 ? selected : cursor);
    }
    if (event.detail.target && event.detail.target.id === "pane") {
      const id = event.detail.target.querySelector("[data-conversation]");
      rows().forEach((row) => row.classList.toggle("selected", !!id && row.dataset.href.includes(id.dataset.conversation)));
    }
  });
})();
