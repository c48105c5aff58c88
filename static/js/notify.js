// Notices addressed to this member of staff on every page: a call ringing at their extension (the caller
// card, with a link to the prefilled call log), tickets assigned to them, @mentions in notes, and changes of
// the tickets they follow.
(function () {
  const box = document.getElementById("notify");
  if (!box || !("WebSocket" in window)) return;
  let delay = 1000;
  // The last push this page has seen (its id, `notice`): after a reconnect the page asks what it missed.
  let cursor = Number(box.dataset.after || 0);
  const shown = new Set();
  function take(event) {
    if (event.notice) {
      if (shown.has(event.notice)) return; // delivered live and caught up as well
      shown.add(event.notice);
      cursor = Math.max(cursor, event.notice);
    }
    render(event);
  }
  async function catchUp() {
    try {
      const response = await fetch(`${box.dataset.catchUp}?after=${cursor}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const missed = await response.json();
      missed.notices.forEach(take);
      cursor = Math.max(cursor, missed.last);
    } catch (error) {
      // offline again: the next reconnect asks again from the same cursor
    }
  }
  function render(event) {
    const item = document.createElement("div");
    item.className = "notice";
    item.setAttribute("role", "status");
    const link = document.createElement("a");
    if (event.change === "call") {
      item.classList.add("notice-call");
      const who = [...event.people, ...event.units].join(" · ") || box.dataset.unknown;
      item.append(`${box.dataset.calling} ${event.number}: ${who}`);
      if (event.open_tickets.length) item.append(` (${box.dataset.openTickets} ${event.open_tickets.join(", ")})`);
      link.href = event.form_url;
      link.textContent = box.dataset.logCall;
    } else if (event.change === "assigned_to_you") {
      item.append(`${box.dataset.assigned} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = `${event.reference} ${event.subject}`;
    } else if (event.change === "mentioned") {
      item.classList.add("notice-mention");
      item.append(`${event.by} ${box.dataset.mentioned} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = `${event.reference} ${event.subject}`;
    } else if (event.change === "followed") {
      item.append(`${box.dataset.followed} ${event.reference}: ${event.detail}${event.by ? ` (${event.by})` : ""} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = event.subject;
    } else {
      return;
    }
    item.append(" ", link);
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", box.dataset.close);
    close.addEventListener("click", () => item.remove());
    item.append(" ", close);
    box.prepend(item);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/notify/`);
    // Each time the socket opens (also the first: pushes may have gone between the page and the socket),
    // what was sent meanwhile is asked for; live pushes arriving at the same time are shown once.
    socket.onopen = () => { delay = 1000; catchUp(); };
    socket.onmessage = (message) => {
      // one frame: a single event, or {"events": [...]} (the pushes of a batch, in order)
      const data = JSON.parse(message.data);
      (Array.isArray(data.events) ? data.events : [data]).forEach(take);
    };
    socket.onclose = (closed) => {
      if (closed.code === 4403 || closed.code === 4401) return; // not allowed or logged out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
