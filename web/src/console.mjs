// The staff console's JavaScript: progressive enhancement only, every console page works without it. GOV.UK
// Frontend's components (error summary focus, conditional reveals) and MoJ Frontend's, and on the queue MoJ's
// filter toggle button: on a narrow screen the filter folds away behind "Show filter". GOV.UK Frontend is started
// as on the resident web (frontend.mjs); the build rewrites the imports to the fingerprinted file names.
import { startGovukFrontend } from "./frontend.mjs";
import { FilterToggleButton, initAll as initMoj } from "./moj-frontend.min.js";

startGovukFrontend();
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
