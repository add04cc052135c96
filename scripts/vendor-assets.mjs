// Copy the npm-installed front-end assets into the Django static dir.
import { copyFileSync, mkdirSync } from "node:fs";
const out = "src/duban/static/vendor";
mkdirSync(out, { recursive: true });
for (const [from, to] of [
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
]) {
  copyFileSync(from, `${out}/${to}`);
  console.log(`vendored ${to}`);
}
