// The live ticket page: who else is viewing, who is typing a reply, and a warning when the ticket changes
// while you write (the server refuses a stale reply once as well: tickets.forms.ReplyForm). Changes pushed while
// the socket was away are asked for each time it (re)connects: GET /tickets/<ref>/changes?after=<last event seen>.
(function () {
  const box = document.getElementById("live-ticket");
  if (!box || !("WebSocket" in window)) return;
  const me = Number(box.dataset.userId);
  const viewersEl = box.querySelector("[data-viewers]");
  const typingEl = box.querySelector("[data-typing]");
  const changedEl = document.getElementById("ticket-changed");
  const textarea = document.querySelector("#reply-form textarea");
  let socket = null;
  let delay = 1000;
  let typingTimer = null;
  let lastTyping = 0;
  let lastEvent = box.dataset.lastEvent || "0";

  function showViewers(viewers) {
    const others = viewers.filter((v) => v.id !== me).map((v) => v.name);
    viewersEl.textContent = others.join(", ");
    viewersEl.closest("p").hidden = others.length === 0;
  }
  function showTyping(name) {
    typingEl.textContent = name;
    typingEl.closest("p").hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typingEl.closest("p").hidden = true; }, 6000);
  }
  function showDelivery(event) {
    // a reply's e-mail failed or went out: update its line in place, and say the page is out of date
    const line = document.querySelector(`[data-delivery="${event.entry}"]`);
    if (line) {
      line.className = `delivery delivery-${event.delivery}`;
      line.querySelector("[data-delivery-text]").textContent = event.delivery_text;
    }
    if (event.actor_id !== me) showChanged([event.actor]);
  }
  function showChanged(actors) {
    changedEl.hidden = false;
    changedEl.querySelector("[data-who]").textContent = actors.map((a) => a || changedEl.dataset.system).join(", ");
  }
  function catchUp() {
    fetch(`${box.dataset.changesUrl}?after=${encodeURIComponent(lastEvent)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        lastEvent = String(data.last_event);
        if (data.changes.length) showChanged([...new Set(data.changes.map((c) => c.actor))]);
      })
      .catch(() => {}); // the next reconnect asks again from the same event
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/tickets/${box.dataset.reference}/`);
    socket.onopen = () => { delay = 1000; catchUp(); };
    socket.onmessage = (message) => {
      // one frame: a single event, or {"events": [...]} (the pushes of a batch, applied in order)
      const data = JSON.parse(message.data);
      (Array.isArray(data.events) ? data.events : [data]).forEach(apply);
    };
    socket.onclose = (closed) => {
      if (closed.code === 4404 || closed.code === 4403 || closed.code === 4401) return; // gone, not allowed, logged out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  function apply(event) {
    if (event.change === "presence") showViewers(event.viewers);
    else if (event.change === "typing") { if (event.user_id !== me) showTyping(event.user); }
    else if (event.change === "assigned_to_you") { /* shown by the list page */ }
    else if (event.change === "delivery" && event.reference === box.dataset.reference) showDelivery(event);
    else if (event.actor_id !== me && event.reference === box.dataset.reference) showChanged([event.actor]);
  }
  setInterval(() => { if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "heartbeat" })); }, 20000);
  if (textarea) {
    textarea.addEventListener("input", () => {
      const now = Date.now();
      if (socket && socket.readyState === 1 && now - lastTyping > 3000) {
        lastTyping = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
  }
  connect();
})();
