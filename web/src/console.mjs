// The staff console's JavaScript: progressive enhancement only, every console page works without it. GOV.UK
// Frontend's components (error summary focus, conditional reveals) and MoJ Frontend's, and on the queue MoJ's
// filter toggle button: on a narrow screen the filter folds away behind "Show filter". The build rewrites the
// imports to the fingerprinted file names; the CSP allows only the site's own scripts (no inline script), so the
// classes the components need on <body> are set here.
import { initAll as initGovuk } from "./govuk-frontend.min.js";
import { FilterToggleButton, initAll as initMoj } from "./moj-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
initMoj();

for (const filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  new FilterToggleButton(filter, {
    bigModeMediaQuery: "(min-width: 48.0625em)",
    startHidden: false,
    toggleButton: { showText: "Show filter", hideText: "Hide filter", classes: "govuk-button--secondary" },
    toggleButtonContainer: { selector: ".moj-action-bar__filter" },
    closeButton: { text: "Close", classes: "moj-filter__close" },
    closeButtonContainer: { selector: ".moj-filter__header-action" },
  });
}

// GOV.UK Frontend's radios put aria-expanded on radio inputs that reveal a question, which ARIA does not allow on
// the radio role (axe-core: aria-allowed-attr), as on the resident web (application.mjs).
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
