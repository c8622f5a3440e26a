// The resident web's JavaScript: GOV.UK Frontend's components (e.g. the conditional reveal on radios and the error
// summary's focus) started by frontend.mjs, and the map. The build rewrites the imports to the fingerprinted names.
import { startGovukFrontend } from "./frontend.mjs";

startGovukFrontend();

// The map on "where is it?" questions: loaded only on pages that have one.
if (document.querySelector('[data-module="borough-map"]')) {
  import("./map.mjs").then(({ initMaps }) => initMaps());
}
