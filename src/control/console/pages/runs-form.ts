/**
 * The new-run form of the console, pure: the posted fields (as `vigia run` takes them: action,
 * --where, --all, --param k=v lines, --concurrency, --max-errors, --timeout, --ramp-up) read with
 * bounds, turned into the same request body `vigia run` sends (POST /v1/runs, startRunSchema), and
 * written back as hidden fields for the next step (preview, then start) or as a pre-filled form.
 */
import { VigiaError } from '../../../core/errors.js';
import { issues } from '../../api/shared.js';
import { startRunSchema, type StartRun } from '../../fleet-runs/run-service.js';
import { parseDurationFlag, parseParams, parseWhere } from '../../fleet-runs/selector.js';
import { e } from '../view.js';

/** The form's fields as typed (strings, trimmed). */
export interface RunForm {
  readonly action: string;
  readonly where: string;
  readonly all: boolean;
  /** One `key=value` a line. */
  readonly params: string;
  readonly concurrency: string;
  readonly maxErrors: string;
  readonly timeout: string;
  readonly rampUp: boolean;
}

/** The form's defaults (those of `vigia run`). */
export const RUN_FORM_DEFAULTS: RunForm = Object.freeze({ action: '', where: '', all: false, params: '', concurrency: '10', maxErrors: '0', timeout: '10m', rampUp: false });

/** Most characters kept of a field (longer input is refused by the parsers, not cut silently). */
const MAX_FIELD = 8192;

type Source = URLSearchParams | Readonly<Record<string, string | string[]>>;

function field(src: Source, name: string): string | undefined {
  const v = src instanceof URLSearchParams ? src.get(name) : src[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === null ? undefined : s.slice(0, MAX_FIELD + 1);
}

/** Read the form's fields from a posted form or a query string; missing fields take the defaults. */
export function readRunForm(src: Source): RunForm {
  const d = RUN_FORM_DEFAULTS;
  return {
    action: (field(src, 'action') ?? d.action).trim(),
    where: (field(src, 'where') ?? d.where).trim(),
    all: field(src, 'all') === '1',
    params: (field(src, 'params') ?? d.params).replace(/\r\n?/g, '\n').trim(),
    concurrency: (field(src, 'concurrency') ?? d.concurrency).trim() || d.concurrency,
    maxErrors: (field(src, 'max_errors') ?? d.maxErrors).trim() || d.maxErrors,
    timeout: (field(src, 'timeout') ?? d.timeout).trim() || d.timeout,
    rampUp: field(src, 'ramp_up') === '1',
  };
}

/**
 * The run request of a form, as `vigia run` would send it; throws VIGIA_ERR_BAD_REQUEST (or the
 * selector's and duration's own errors) naming the field as the command line names its flag.
 */
export function runRequestOf(f: RunForm, dryRun: boolean): StartRun {
  for (const [name, v] of [['action', f.action], ['--where', f.where], ['--param', f.params]] as const) {
    if (v.length > MAX_FIELD) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', `${name}: at most ${MAX_FIELD} characters`);
  }
  const where = f.where === '' ? {} : parseWhere(f.where);
  const params = parseParams(f.params.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  const timeoutMs = parseDurationFlag(f.timeout, '--timeout');
  const parsed = startRunSchema.safeParse({ action: f.action, params, where, all: f.all, concurrency: f.concurrency, max_errors: f.maxErrors, ramp_up: f.rampUp, timeout_ms: timeoutMs, dry_run: dryRun });
  if (!parsed.success) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', issues(parsed.error).join('; '));
  return parsed.data;
}

/** The form's fields as hidden inputs (carried from the preview to the start). */
export function hiddenRunFields(f: RunForm): string {
  const pairs: Array<[string, string]> = [['action', f.action], ['where', f.where], ['params', f.params], ['concurrency', f.concurrency], ['max_errors', f.maxErrors], ['timeout', f.timeout]];
  if (f.all) pairs.push(['all', '1']);
  if (f.rampUp) pairs.push(['ramp_up', '1']);
  return pairs.map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`).join('');
}

/** The form's fields as a query string (the "change" link of the preview, which pre-fills the form). */
export function runFormQuery(f: RunForm): Record<string, string> {
  return { action: f.action, where: f.where, params: f.params, concurrency: f.concurrency, max_errors: f.maxErrors, timeout: f.timeout, ...(f.all ? { all: '1' } : {}), ...(f.rampUp ? { ramp_up: '1' } : {}) };
}

/** The new-run form (step 1), pre-filled with `f`; it posts to the preview. */
export function newRunForm(f: RunForm, csrf: string): string {
  const text = (name: string, label: string, value: string, hint: string, extra = '') =>
    `<label for="run-${e(name)}">${e(label)} <span class="muted">${e(hint)}</span></label><input id="run-${e(name)}" name="${e(name)}" value="${e(value)}"${extra}>`;
  return `<form method="post" action="/ui/runs/preview" class="run-form" aria-labelledby="new-run-h">
<input type="hidden" name="_csrf" value="${e(csrf)}">
${text('action', 'Action', f.action, 'as on the agents, e.g. purge-binlogs', ' required maxlength="63" pattern="[a-z][a-z0-9\\-]*" autocomplete="off"')}
${text('where', 'Where', f.where, 'key=value,... (role=mysql, reported:az=b, host=db-1)', ' autocomplete="off"')}
<label class="check"><input type="checkbox" name="all" value="1"${f.all ? ' checked' : ''}> Every enrolled host (--all, when Where is empty)</label>
<label for="run-params">Parameters <span class="muted">one key=value a line</span></label><textarea id="run-params" name="params" rows="3">${e(f.params)}</textarea>
${text('concurrency', 'Concurrency', f.concurrency, 'hosts at once: a count or a share (5%)', ' maxlength="16" required')}
${text('max_errors', 'Max errors', f.maxErrors, 'stop after more errors than this: a count or a share (1%)', ' maxlength="16" required')}
${text('timeout', 'Timeout per host', f.timeout, 'e.g. 30s, 10m, 1h', ' maxlength="16" required')}
<label class="check"><input type="checkbox" name="ramp_up" value="1"${f.rampUp ? ' checked' : ''}> Ramp up (1 host, then 2, 4 ... up to the concurrency)</label>
<p><button type="submit">Preview (dry run)</button></p>
</form>`;
}
