// @mention suggestions in the reply form (only for internal notes): after "@" and a letter or two, colleagues
// who can see the ticket are suggested (GET …/mentions?q=); click or Enter inserts "@username ".
// Also: PDF previews load their frame only when opened.
(function () {
  document.querySelectorAll("details.pdf-preview").forEach((details) => {
    details.addEventListener("toggle", () => {
      const frame = details.querySelector("iframe[data-src]");
      if (details.open && frame && !frame.src) frame.src = frame.dataset.src;
    });
  });

  const form = document.getElementById("reply-form");
  const list = document.getElementById("mention-suggestions");
  if (!form || !list || !form.dataset.mentionsUrl) return;
  const textarea = form.querySelector("textarea");
  const kind = form.querySelector("select[name=kind]");
  let items = [];
  let active = -1;
  let pending = null;

  function wordBeforeCaret() {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = /(^|[^\w.@+-])@([\w.+-]{0,150})$/.exec(before);
    return match ? { prefix: match[2], start: before.length - match[2].length - 1 } : null;
  }
  function hide() { list.hidden = true; list.replaceChildren(); items = []; active = -1; textarea.removeAttribute("aria-activedescendant"); }
  function choose(index) {
    const word = wordBeforeCaret();
    if (!word || !items[index]) return hide();
    const after = textarea.value.slice(textarea.selectionStart);
    const inserted = `@${items[index].username} `;
    textarea.value = textarea.value.slice(0, word.start) + inserted + after;
    const caret = word.start + inserted.length;
    textarea.setSelectionRange(caret, caret);
    textarea.focus();
    hide();
  }
  function highlight(index) {
    active = index;
    Array.from(list.children).forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) textarea.setAttribute("aria-activedescendant", `mention-${active}`);
  }
  function show(results) {
    items = results;
    list.replaceChildren();
    results.forEach((person, index) => {
      const li = document.createElement("li");
      li.id = `mention-${index}`;
      li.setAttribute("role", "option");
      li.textContent = `@${person.username} — ${person.name}`;
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
      list.append(li);
    });
    list.hidden = results.length === 0;
    highlight(results.length ? 0 : -1);
  }
  textarea.addEventListener("input", () => {
    const word = kind && kind.value !== "note" ? null : wordBeforeCaret();
    if (!word) return hide();
    clearTimeout(pending);
    pending = setTimeout(async () => {
      try {
        const response = await fetch(`${form.dataset.mentionsUrl}?q=${encodeURIComponent(word.prefix)}`, { credentials: "same-origin" });
        if (response.ok) show((await response.json()).results);
      } catch (error) { hide(); }
    }, 150);
  });
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { highlight((active + 1) % items.length); event.preventDefault(); }
    else if (event.key === "ArrowUp") { highlight((active - 1 + items.length) % items.length); event.preventDefault(); }
    else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) { choose(active); event.preventDefault(); }
    else if (event.key === "Escape") { hide(); event.preventDefault(); }
  });
  textarea.addEventListener("blur", () => setTimeout(hide, 100));
})();
