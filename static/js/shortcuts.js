// Keyboard shortcuts for the ticket page and the ticket list (the listing is the dialog in base.html, "?").
// They never fire while typing in a field or with Ctrl/Alt/Meta held, so they do not steal keys from forms
// or from the browser and screen readers.
(function () {
  const dialog = document.getElementById("shortcuts-dialog");
  const replyForm = document.getElementById("reply-form");
  const rows = () => Array.from(document.querySelectorAll("table.tickets tbody tr")).filter((row) => row.querySelector("a"));
  let current = -1;

  function typing(target) {
    if (!target || !(target instanceof Element)) return false;
    if (target.isContentEditable) return true;
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.closest("dialog[open]") !== null;
  }
  function openHelp() {
    if (!dialog) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }
  function write(kind) {
    if (!replyForm) return false;
    const select = replyForm.querySelector("select[name=kind]");
    if (select) { select.value = kind; select.dispatchEvent(new Event("change", { bubbles: true })); }
    const textarea = replyForm.querySelector("textarea");
    textarea.scrollIntoView({ block: "center" });
    textarea.focus();
    return true;
  }
  function click(selector) {
    const element = document.querySelector(selector);
    if (!element) return false;
    element.click();
    return true;
  }
  function focus(selector) {
    const element = document.getElementById(selector);
    if (!element) return false;
    element.scrollIntoView({ block: "center" });
    element.focus();
    return true;
  }
  function select(index) {
    const list = rows();
    if (!list.length) return false;
    current = Math.max(0, Math.min(list.length - 1, index));
    list.forEach((row, i) => row.classList.toggle("kbd-current", i === current));
    const link = list[current].querySelector("a");
    link.focus();
    return true;
  }

  document.querySelectorAll("[data-shortcuts-help]").forEach((button) => button.addEventListener("click", openHelp));
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented || typing(event.target)) return;
    let done = false;
    switch (event.key) {
      case "?": openHelp(); done = true; break;
      case "r": done = write("outbound"); break;
      case "n": done = write("note"); break;
      case "a": done = click("#assign-me button"); break;
      case "f": done = click("#follow-form button[data-shortcut=f]"); break;
      case "m": done = focus("merge-target"); break;
      case "l": done = focus("link-reference"); break;
      case "u": if (document.getElementById("live-ticket")) { location.href = "/tickets/"; done = true; } break;
      case "j": done = select(current + 1); break;
      case "k": done = select(current < 0 ? 0 : current - 1); break;
      case "o": if (current >= 0) { rows()[current].querySelector("a").click(); done = true; } break;
      case "/": { const search = document.querySelector("form.filters input[name=q]"); if (search) { search.focus(); done = true; } break; }
    }
    if (done) event.preventDefault();
  });
})();
