// GOV.UK Frontend's start-up, shared by the resident web (application.mjs) and the staff console (console.mjs):
// progressive enhancement only, every page works without it. The build rewrites the import to the fingerprinted
// file name; the CSP allows only the site's own scripts (no inline script), so the classes the components need on
// <body> are set here.
import { initAll } from "./govuk-frontend.min.js";

// GOV.UK Frontend's radios put aria-expanded on radio inputs that reveal a question, which ARIA does not allow on
// the radio role (axe-core: aria-allowed-attr). The reveal is announced through aria-controls and the content.
const radioExpanded = 'input[type="radio"][aria-expanded]';

function dropRadioExpanded() {
  for (const radio of document.querySelectorAll(radioExpanded)) radio.removeAttribute("aria-expanded");
}

export function startGovukFrontend() {
  document.body.classList.add("js-enabled", "govuk-frontend-supported");
  initAll();
  dropRadioExpanded();
  new MutationObserver(dropRadioExpanded).observe(document.body, {
    attributes: true,
    attributeFilter: ["aria-expanded"],
    subtree: true,
  });
}
