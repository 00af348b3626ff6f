// Publishing pages: the calendar widget, colour swatches, the composer's small helpers.
// Colours are set through CSSOM (element.style), which the site's CSP allows; inline
// style attributes are not.
(function () {
  "use strict";
  function csrf() {
    const holder = document.body.getAttribute("hx-headers");
    try { return JSON.parse(holder)["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function paint(root) {
    root.querySelectorAll("[data-colour]").forEach((el) => el.style.setProperty("--swatch", el.dataset.colour));
    root.querySelectorAll("[data-width]").forEach((el) => { el.style.width = `${Number(el.dataset.width) || 0}%`; });
  }
  function say(text, isError) {
    const box = document.getElementById("calendar-status");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("error", !!isError);
    box.classList.add("shown");
    clearTimeout(say.timer);
    say.timer = setTimeout(() => box.classList.remove("shown"), 5000);
  }

  function startCalendar() {
    const el = document.getElementById("calendar");
    if (!el || typeof FullCalendar === "undefined") return;
    const filters = document.getElementById("calendar-filters");
    const canEdit = el.dataset.canEdit === "1";
    const params = () => Object.fromEntries(new FormData(filters).entries());
    const calendar = new FullCalendar.Calendar(el, {
      initialView: "dayGridMonth",
      initialDate: el.dataset.initialDate || undefined,
      firstDay: 1,
      height: "auto",
      nowIndicator: true,
      dayMaxEvents: 4,
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
      buttonText: { today: "Today", month: "Month", week: "Week", list: "List" },
      views: { timeGridWeek: { slotDuration: "01:00:00", scrollTime: "08:00:00" } },
      editable: canEdit,
      eventStartEditable: canEdit,
      events: { url: el.dataset.eventsUrl, extraParams: params, failure: () => say("The calendar could not load its events.", true) },
      eventDidMount(info) {
        const p = info.event.extendedProps;
        const bits = [p.statusLabel, p.accounts, p.campaign].filter(Boolean);
        info.el.title = `${info.event.title}${bits.length ? " — " + bits.join(" · ") : ""}`;
      },
      dateClick(info) {
        if (!canEdit) return;
        const day = info.dateStr.slice(0, 10);
        window.location.href = `${el.dataset.entryUrl}?date=${day}`;
      },
      eventDrop: move,
      eventResize: move,
    });
    function move(info) {
      const p = info.event.extendedProps;
      const body = {
        type: p.type, id: p.publicId, allDay: info.event.allDay,
        start: info.event.allDay ? info.event.startStr.slice(0, 10) : info.event.start.toISOString(),
        end: info.event.end ? (info.event.allDay ? info.event.endStr.slice(0, 10) : info.event.end.toISOString()) : null,
      };
      fetch(el.dataset.moveUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
        credentials: "same-origin",
      }).then((r) => r.json().then((data) => ({ ok: r.ok, data })))
        .then(({ ok, data }) => {
          if (!ok) { info.revert(); say(data.message || "That move was refused.", true); return; }
          say(data.message || "Moved.");
          calendar.refetchEvents();
        })
        .catch(() => { info.revert(); say("The move could not be saved; check your connection.", true); });
    }
    filters.addEventListener("change", () => calendar.refetchEvents());
    calendar.render();
    el.calendar = calendar;
  }

  function composer() {
    const form = document.getElementById("composer");
    if (!form) return;
    form.addEventListener("change", (event) => {
      const key = event.target.dataset && event.target.dataset.accountToggle;
      if (!key) return;
      const field = form.querySelector(`[data-account-field="${key}"]`);
      if (field) field.hidden = !event.target.checked;
    });
    // A ticked library item moves to the chosen row, so a new search does not drop it.
    form.addEventListener("change", (event) => {
      const box = event.target;
      if (!(box instanceof HTMLInputElement) || box.name !== "assets") return;
      const chosen = document.getElementById("chosen-assets");
      const label = box.closest("label");
      if (box.checked && chosen && label && !chosen.contains(label)) {
        label.classList.add("picked");
        chosen.appendChild(label);
      }
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit(form.querySelector("button[value=save]"));
      }
    });
  }

  function entryForm() {
    const form = document.querySelector("[data-entry-form]");
    if (!form) return;
    const box = form.querySelector("input[name=all_day]");
    const sync = () => {
      form.querySelector("[data-when=all-day]").hidden = !box.checked;
      form.querySelector("[data-when=timed]").hidden = box.checked;
    };
    box.addEventListener("change", sync);
    sync();
  }

  // The post page's queue and publish-now buttons send the override reason typed in the
  // schedule form, so a manager writes it once.
  document.addEventListener("submit", (event) => {
    const copy = event.target.querySelector && event.target.querySelector("[data-copy-override]");
    const source = document.getElementById("id_override_reason");
    if (copy && source) copy.value = source.value;
  });

  document.addEventListener("DOMContentLoaded", () => {
    paint(document);
    startCalendar();
    composer();
    entryForm();
  });
  document.addEventListener("htmx:afterSwap", (event) => paint(event.detail.target));
})();
