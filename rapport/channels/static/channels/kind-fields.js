// Show only the settings of the chosen channel kind. Without JavaScript every
// field stays visible and the server ignores the ones the kind does not use.
(function () {
  "use strict";
  function update(select) {
    var form = select.form;
    form.querySelectorAll("[data-kinds]").forEach(function (input) {
      var wrapper = input.closest(".field") || input;
      var used = input.getAttribute("data-kinds").split(" ").indexOf(select.value) !== -1;
      wrapper.hidden = !used;
      wrapper.style.display = used ? "" : "none"; // .field sets its own display
      input.disabled = !used;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[name=kind]");
    if (!select || select.disabled) return;
    update(select);
    select.addEventListener("change", function () { update(select); });
  });
})();
