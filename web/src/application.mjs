// Progressive enhancement only: every page works without this file (GOV.UK Frontend's components, e.g. the
// conditional reveal on radios and the error summary's focus). The build rewrites the import to the
// fingerprinted file name.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
