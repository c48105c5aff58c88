// The call log form: a running timer, the caller card refreshed as the number is typed, unit suggestions,
// and Ctrl+Enter to save. Without JavaScript the form still works (duration typed by hand, unit by REGON).
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
  let started = null;
  let tick = null;

  function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }
  function show(seconds) { clock.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`; }

  timerButton.addEventListener("click", () => {
    if (started === null) {
      started = Date.now() - (Number(duration.value) || 0) * 1000;
      tick = setInterval(() => { const s = Math.round((Date.now() - started) / 1000); duration.value = s; show(s); }, 500);
      timerButton.textContent = timerButton.dataset.stop;
    } else {
      clearInterval(tick); started = null; timerButton.textContent = timerButton.dataset.start;
    }
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
  document.addEventListener("click", (event) => {
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
  if (timerButton && !duration.value) timerButton.click();
})();
