/**
 * The console's one stylesheet (the CSP allows styles from our own files only: no inline styles or
 * style attributes anywhere). A TypeScript string so the build (tsc) ships it without a copy step.
 * Plain: system fonts, a nav that wraps on a phone, tables that scroll sideways, print without nav.
 */
export const CONSOLE_CSS = `
:root { --fg:#1b1f24; --muted:#5b6470; --bg:#fff; --line:#d8dde3; --accent:#0b5fad; --crit:#b3261e; --warn:#8a5a00; --ok:#1e7a34; --soft:#f3f5f7; }
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5em; }
.skip:focus { left: .5em; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1.5em; padding: .5em 1em; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
nav.main ul { display: flex; flex-wrap: wrap; gap: .25em .9em; list-style: none; margin: 0; padding: 0; }
nav.main a { text-decoration: none; padding: .2em .1em; }
nav.main a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
nav.main .na { color: var(--muted); }
.who { margin-left: auto; display: flex; align-items: center; gap: .6em; color: var(--muted); }
.who form { margin: 0; }
main { padding: 1em; max-width: 1400px; }
h1 { font-size: 1.4em; margin: .2em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .5em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11em, 1fr)); gap: .8em; margin: 0 0 1em; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .6em .8em; }
.cards .n { display: block; font-size: 1.6em; font-weight: 700; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; }
.crit { color: var(--crit); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.ok { color: var(--ok); }
.muted { color: var(--muted); }
.tag { display: inline-block; background: var(--soft); border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; margin: 0 .2em .1em 0; font-size: .9em; }
pre.out { white-space: pre-wrap; word-break: break-word; margin: 0; font-size: .9em; max-width: 60em; }
form.search { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: end; margin: 0 0 1em; }
form.search label { display: flex; flex-direction: column; font-size: .9em; }
input, select, button { font: inherit; padding: .3em .5em; }
button { cursor: pointer; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; }
button.link { background: none; color: var(--accent); border: none; padding: 0; text-decoration: underline; }
.pager { display: flex; gap: 1em; align-items: center; margin: .8em 0; }
.empty { color: var(--muted); font-style: italic; }
.chart { min-height: 240px; margin: .5em 0; }
.login { max-width: 28em; margin: 3em auto; padding: 0 1em; }
.login label { display: block; margin: .8em 0 .3em; }
.login input { width: 100%; }
.error { color: var(--crit); }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
a.button { display: inline-block; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; padding: .3em .7em; text-decoration: none; margin-right: .4em; }
a.button.danger, button.danger { background: var(--crit); border-color: var(--crit); }
.notice { border-left: 4px solid var(--ok); padding: .3em .7em; background: var(--soft); }
ul.plain, ul.names { list-style: none; margin: 0; padding: 0; }
ul.names { columns: 16em; }
form.run-form { display: grid; grid-template-columns: minmax(10em, max-content) minmax(12em, 32em); gap: .4em 1em; align-items: center; }
form.run-form label.check, form.run-form p { grid-column: 1 / -1; }
form.confirm { margin: 1em 0; }
tr.current td { background: #eef4fb; }
progress { width: 8em; vertical-align: middle; }
@media (max-width: 700px) {
  form.run-form { grid-template-columns: 1fr; }
  html { font-size: 14px; }
  main { padding: .6em; }
  .who { margin-left: 0; width: 100%; }
  th, td { padding: .25em .4em; }
}
@media print {
  header.top, .pager, form.search, .noprint, button { display: none !important; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
}
`;
