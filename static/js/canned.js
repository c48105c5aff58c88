// Reply templates on the ticket page: choosing one fills the reply with its text, rendered for this ticket by
// the server (tickets.views.ticket_canned_response). Without JavaScript the form's GET (?szablon=<id>) does it.
(function () {
  const picker = document.getElementById("canned-picker");
  const textarea = document.querySelector("#reply-form textarea");
  if (!picker || !textarea || !window.fetch) return;
  const select = picker.querySelector("select");
  async function insert(event) {
    if (event) event.preventDefault();
    if (!select.value) return;
    const url = picker.dataset.url.replace(/\/0$/, "/" + encodeURIComponent(select.value));
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const text = await response.text();
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    select.value = "";
  }
  select.addEventListener("change", insert);
  picker.addEventListener("submit", insert);
})();
