// Allure 3 configuration for the HTML report (npm package `allure`, pinned in
// package-lock.json). Rendered by `python -m runner.report.render_html`.
import { readFileSync } from "node:fs";

// One source for the failure categories, shared with the Python side that writes
// categories.json for Allure 2 users.
const categories = JSON.parse(
  readFileSync(new URL("./runner/report/categories.json", import.meta.url), "utf-8"),
);

export default {
  name: "OSVI chat scenarios",
  output: "reports/allure-report",
  // Kept between runs (cache it in CI) so trends and flaky detection work night to night.
  historyPath: "reports/history.jsonl",
  categories,
  plugins: {
    awesome: {
      options: {
        // One index.html that opens from file:// without a web server.
        singleFile: true,
        reportName: "OSVI chat scenarios",
        reportLanguage: "en",
        groupBy: ["parentSuite", "suite"],
        stepTreeExpansion: "expand_failed_only",
      },
    },
  },
};
