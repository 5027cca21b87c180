// Gemini CLI's own policy decision, for the differential tests (tests/policy/test_gemini_*.py).
//
//   node oracle.mjs <gemini-oracle-dir>   (the folder scripts/setup installs the npm package in)
//
// Reads one JSON object per line on stdin, answers one JSON line each on stdout:
//   in:  {"files": [{"name": "a.toml", "tier": 4, "text": "..."}],
//         "calls": [{"tool": "...", "args": {...}, "mode": "default", "interactive": true,
//                    "annotations": {...}}]}
//   out: {"errors": [{"file", "type", "message", "details", "severity"}],
//         "results": [{"decision": "allow"|"deny"|"ask_user", "priority": 4.1|null,
//                      "source": "...", "error": "..."}]}
// Gemini's shell heuristics (known-safe / dangerous command lists, untrusted-folder git) are
// switched off (check(..., skipHeuristics = true)), so only rule handling is compared. The
// files of one request are loaded once (Gemini's loadPoliciesFromToml reads them from disk).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

// Gemini's debug logger prints to the console: keep stdout for answers only.
for (const name of ['log', 'debug', 'info', 'warn', 'error']) console[name] = () => {};

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: node oracle.mjs <gemini-oracle-dir>\n');
  process.exit(2);
}
const policyDir = path.join(root, 'node_modules', '@google', 'gemini-cli-core', 'dist', 'src', 'policy');
const load = (name) => import(pathToFileURL(path.join(policyDir, name)).href);
const { PolicyEngine } = await load('policy-engine.js');
const { loadPoliciesFromToml } = await load('toml-loader.js');
const { stableStringify } = await load('stable-stringify.js');
const shell = await import(
  pathToFileURL(path.join(policyDir, '..', 'utils', 'shell-utils.js')).href
);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gemini-oracle-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
let serial = 0;

async function loadFiles(files) {
  const dir = path.join(work, String(serial++));
  fs.mkdirSync(dir);
  const tiers = new Map();
  const paths = files.map((f, i) => {
    // One folder per file keeps the load order (Gemini reads a folder in readdir order).
    const sub = path.join(dir, String(i));
    fs.mkdirSync(sub);
    const p = path.join(sub, f.name);
    fs.writeFileSync(p, f.text);
    tiers.set(p, f.tier);
    return p;
  });
  const loaded = await loadPoliciesFromToml(paths, (p) => tiers.get(p) ?? 4);
  fs.rmSync(dir, { recursive: true, force: true });
  return loaded;
}

async function decide(rules, call) {
  const engine = new PolicyEngine({
    rules: [...rules], // the constructor sorts the array it is given
    approvalMode: call.mode,
    nonInteractive: call.interactive === false,
  });
  const result = await engine.check(
    { name: call.tool, args: call.args },
    undefined,
    call.annotations ?? undefined,
    call.subagent ?? undefined, // the sub-agent making the call: its `subagent` rules apply
    true, // skipHeuristics: Gemini's own shell safety lists stay out of the comparison
  );
  return {
    decision: result.decision,
    priority: result.rule?.priority ?? null,
    source: result.rule?.source ?? null,
    ruleDecision: result.rule?.decision ?? null,
  };
}

async function handle(request) {
  if (request.stringify !== undefined) {
    return { results: request.stringify.map((v) => stableStringify(v)) };
  }
  if (request.split !== undefined) {
    // How Gemini splits a command: its sub-commands, redirection, and bash -c unwrapping.
    await shell.initializeShellParsers();
    return {
      results: request.split.map((command) => {
        const parsed = shell.parseCommandDetails(command);
        return {
          error: !parsed || parsed.hasError || parsed.details.length === 0,
          parts: (parsed?.details ?? [])
            .filter((d) => !shell.REDIRECTION_NAMES.has(d.name))
            .map((d) => ({ text: d.text.trim(), start: d.startIndex })),
          redirection: shell.hasRedirection(command),
          stripped: shell.stripShellWrapper(command),
        };
      }),
    };
  }
  const loaded = await loadFiles(request.files ?? []);
  if (request.rounds !== undefined) {
    // benchmarks/policy.py: median microseconds of one check() on these rules and calls.
    const samples = [];
    for (let r = 0; r < request.rounds; r++) {
      for (const call of request.calls) {
        const engine = new PolicyEngine({ rules: [...loaded.rules], approvalMode: call.mode });
        const t0 = process.hrtime.bigint();
        await engine.check({ name: call.tool, args: call.args }, undefined, call.annotations, undefined, true);
        samples.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    samples.sort((a, b) => a - b);
    return { median_us: samples[Math.floor(samples.length / 2)], rules: loaded.rules.length };
  }
  const results = [];
  for (const call of request.calls ?? []) {
    try {
      results.push(await decide(loaded.rules, call));
    } catch (err) {
      results.push({ decision: null, error: String(err?.stack ?? err) });
    }
  }
  const errors = loaded.errors.map((e) => ({
    file: e.fileName,
    type: e.errorType,
    message: e.message,
    details: e.details ?? null,
    severity: e.severity ?? 'error',
  }));
  return { errors, results, rules: loaded.rules.length };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (err) {
    answer = { fatal: String(err?.stack ?? err) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
