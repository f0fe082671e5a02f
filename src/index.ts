export { findParacRoot } from "./state/paths.js";
