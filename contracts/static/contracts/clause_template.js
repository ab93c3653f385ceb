// Fills a clause's fields from the model clause chosen in its "template" list, at once, so the
// officer sees what will be saved. The server does the same fill on save (and writes the Swedish
// wording), so the form works the same without JavaScript. Works in the contract's inline too:
// the fields are found by the template list's own prefix.
"use strict";

document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.clauseTemplates) {
    return;
  }
  const template = JSON.parse(select.dataset.clauseTemplates)[select.value];
  if (!template || !select.form) {
    return;
  }
  const prefix = select.name.slice(0, -"template".length);
  for (const [name, value] of Object.entries(template)) {
    for (const field of select.form.querySelectorAll(`[name="${prefix}${name}"]`)) {
      if (field.type === "checkbox") {
        field.checked = Array.isArray(value) ? value.includes(field.value) : Boolean(value);
      } else {
        field.value = value === null ? "" : String(value);
      }
    }
  }
});
