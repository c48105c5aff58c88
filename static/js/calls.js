// The call log form: a running timer, the caller card refreshed as the number is typed, unit suggestions,
// a ticket picked from the card, and Ctrl+Enter to save. Without JavaScript the form still works (duration typed
// by hand, unit by REGON, ticket by its reference).
(function () {
  const form = document.getElementById("call-form");
  if (!form) return;
  const number = form.querySelector("[name=caller_number]");
  const card = document.getElementById("caller-card");
  const unitQuery = form.querySelector("[name=unit_query]");
  const unitId = form.querySelector("[name=unit]");
  const suggestions = document.getElementById("unit-suggestions");
  const picked = document.getElementById("unit-picked");
  const duration = form.querySelector("[name=duration_seconds]");
  const clock = document.getElementById("call-clock");
  const timerButton = document.getElementById("call-timer");
  // The timer starts with the page; its start travels in a hidden field, so a submit that comes back with
  // errors keeps counting from the first page load. A stopped timer clears it and keeps the duration typed.
  const startedField = form.querySelector("[name=timer_started]");
  let started = null;
  let tick = null;

  function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }
  function show(seconds) { clock.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`; }

  function run(from) {
    started = from;
    startedField.value = String(started);
    const update = () => { const s = Math.max(0, Math.round((Date.now() - started) / 1000)); duration.value = s; show(s); };
    update();
    tick = setInterval(update, 500);
    timerButton.textContent = timerButton.dataset.stop;
  }
  function stop() {
    clearInterval(tick); started = null; startedField.value = ""; timerButton.textContent = timerButton.dataset.start;
  }

  timerButton.addEventListener("click", () => {
    if (started === null) run(Date.now() - (Number(duration.value) || 0) * 1000); else stop();
  });

  async function fragment(url) { const r = await fetch(url, { credentials: "same-origin" }); return r.ok ? r.text() : ""; }
  number.addEventListener("input", debounce(async () => {
    card.innerHTML = await fragment(`${card.dataset.url}?number=${encodeURIComponent(number.value)}`);
  }, 300));
  unitQuery.addEventListener("input", debounce(async () => {
    unitId.value = ""; picked.textContent = "";
    suggestions.innerHTML = unitQuery.value.trim().length < 2 ? "" :
      await fragment(`${card.dataset.url.replace("caller-card", "units")}?q=${encodeURIComponent(unitQuery.value)}`);
  }, 250));
  const ticketField = form.querySelector("[name=ticket]");
  document.addEventListener("click", (event) => {
    const ticketButton = event.target.closest("[data-pick-ticket]");
    if (ticketButton) {  // the call goes into that ticket: its outcome is "add to an existing ticket"
      ticketField.value = ticketButton.dataset.pickTicket;
      const existing = form.querySelector("[name=outcome][value=existing]");
      if (existing) existing.checked = true;
      ticketField.focus();
      return;
    }
    const button = event.target.closest("[data-pick-unit]");
    if (!button) return;
    unitId.value = button.dataset.pickUnit;
    unitQuery.value = "";
    picked.textContent = button.dataset.unitLabel;
    suggestions.innerHTML = "";
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  if (!number.value) number.focus();
  if (number.value && !card.textContent.trim()) number.dispatchEvent(new Event("input"));
  const carried = Number(startedField.value);
  if (Number.isFinite(carried) && carried > 0 && carried <= Date.now()) run(carried);
  else if (!duration.value) run(Date.now());
  else show(Number(duration.value) || 0);
})();
