// Progressive enhancement only: every page works without this file (GOV.UK Frontend's components, e.g. the
// conditional reveal on radios and the error summary's focus). The build rewrites the import to the
// fingerprinted file name.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// GOV.UK Frontend's radios put aria-expanded on radio inputs that reveal a question, which ARIA does not allow on
// the radio role (axe-core: aria-allowed-attr). The reveal is announced through aria-controls and the content.
const radioExpanded = 'input[type="radio"][aria-expanded]';
const dropExpanded = () => {
  for (const radio of document.querySelectorAll(radioExpanded)) radio.removeAttribute("aria-expanded");
};
dropExpanded();
new MutationObserver(dropExpanded).observe(document.body, {
  attributes: true,
  attributeFilter: ["aria-expanded"],
  subtree: true,
});

// The map on "where is it?" questions: loaded only on pages that have one.
if (document.querySelector('[data-module="borough-map"]')) {
  import("./map.mjs").then(({ initMaps }) => initMaps());
}
