/**
 * Every ```ts block in README.md and docs/*.md compiles.
 *
 * The rule the docs follow: each block is a standalone module. It imports what it uses and
 * declares what it references; nothing carries over from an earlier block. Blocks are
 * type-checked with the repo's tsconfig.json compiler options, never run. A block whose fence
 * reads ```ts no-check is skipped: keep that for deliberate fragments, and keep those rare.
 *
 * Each block is written to tests/.doc-examples/ (inside the repo, so `@mainspring/sdk`,
 * `@mainspring/engine` and `zod` resolve through the workspace's node_modules), checked in one
 * program, and the folder is removed afterwards.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, "tests", ".doc-examples");

/**
 * Errors the docs cannot fix themselves because they sit in a file this suite does not own.
 * Each entry must still occur: once the file is fixed, the suite fails and asks for the entry
 * to be removed, so nothing stays exempt by accident.
 */
const KNOWN_ISSUES: Array<{ file: string; message: string; why: string }> = [];

interface CodeBlock {
  /** Path relative to the repo root, e.g. "docs/task-api.md". */
  file: string;
  /** 1-based line of the block's first code line in the Markdown file. */
  line: number;
  lang: string;
  attributes: string[];
  code: string;
}

/** Extracts fenced code blocks (``` or ~~~, any indentation, info string "lang attr ..."). */
function extractBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let open: { fence: string; indent: number; lang: string; attributes: string[]; start: number } | undefined;
  let body: string[] = [];
  lines.forEach((text, index) => {
    if (!open) {
      const m = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(text);
      if (m) {
        open = {
          indent: m[1]!.length,
          fence: m[2]!,
          lang: m[3]!.toLowerCase(),
          attributes: m[4]!.split(/\s+/).filter(Boolean),
          start: index + 2,
        };
        body = [];
      }
      return;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text);
    if (close && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length) {
      blocks.push({
        file,
        line: open.start,
        lang: open.lang,
        attributes: open.attributes,
        code: body.join("\n"),
      });
      open = undefined;
      return;
    }
    // Content lines lose up to the opening fence's indentation, as CommonMark does.
    body.push(text.replace(new RegExp(`^ {0,${open.indent}}`), ""));
  });
  return blocks;
}

const isChecked = (b: CodeBlock) =>
  (b.lang === "ts" || b.lang === "typescript") && !b.attributes.includes("no-check");

function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

interface Problem {
  file: string;
  line: number;
  message: string;
}

describe("code examples in README.md and docs/*.md", () => {
  const blocks: CodeBlock[] = [];
  const written = new Map<string, CodeBlock>();
  let problems: Problem[] = [];
  let canaryProblems: Problem[] = [];
  const CANARY = join(OUT_DIR, "__canary.ts");

  beforeAll(() => {
    for (const file of docFiles()) {
      blocks.push(...extractBlocks(readFileSync(join(ROOT, file), "utf8"), file));
    }
    rmSync(OUT_DIR, { recursive: true, force: true });
    mkdirSync(OUT_DIR, { recursive: true });
    for (const block of blocks.filter(isChecked)) {
      const name = `${block.file.replace(/[^a-zA-Z0-9]+/g, "_")}_L${block.line}.ts`;
      const path = join(OUT_DIR, name);
      // `export {}` makes every block a module (top-level await works, names do not clash);
      // it goes last so line numbers map one to one.
      writeFileSync(path, `${block.code}\nexport {};\n`);
      written.set(path, block);
    }
    // A block that must fail: proves the checker is live and reports what we expect.
    writeFileSync(CANARY, 'const n: number = "not a number";\nexport {};\n');

    const program = ts.createProgram([...written.keys(), CANARY], compilerOptions());
    const all = ts.getPreEmitDiagnostics(program);
    const toProblem = (d: ts.Diagnostic): Problem | undefined => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file) return { file: "(program)", line: 0, message: `TS${d.code}: ${message}` };
      const fileName = d.file.fileName;
      const line = d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line;
      if (fileName === CANARY) return { file: "canary", line: line + 1, message };
      const block = written.get(fileName);
      if (!block) return undefined; // a library's own diagnostics are not the docs' problem
      return { file: block.file, line: block.line + line, message: `TS${d.code}: ${message}` };
    };
    const found = all.map(toProblem).filter((p): p is Problem => p !== undefined);
    canaryProblems = found.filter((p) => p.file === "canary");
    problems = found.filter((p) => p.file !== "canary");
  }, 180_000);

  afterAll(() => {
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  it("finds type-checked blocks in the README and in docs/", () => {
    const checked = blocks.filter(isChecked);
    expect(checked.filter((b) => b.file === "README.md").length).toBeGreaterThan(0);
    expect(checked.filter((b) => b.file.startsWith("docs/")).length).toBeGreaterThan(0);
    expect(written.size).toBe(checked.length);
  });

  it("the checker reports errors (canary)", () => {
    expect(canaryProblems).toHaveLength(1);
    expect(canaryProblems[0]!.message).toContain("is not assignable to type 'number'");
  });

  it("every ```ts block compiles", () => {
    const unexpected = problems.filter(
      (p) => !KNOWN_ISSUES.some((k) => p.file === k.file && p.message.includes(k.message)),
    );
    const report = unexpected.map((p) => `${p.file}:${p.line}: ${p.message}`).join("\n");
    expect(unexpected, `doc examples that do not compile:\n${report}`).toEqual([]);
  });

  it("known issues in files the docs do not own are still present (remove fixed ones)", () => {
    for (const k of KNOWN_ISSUES) {
      const stillThere = problems.some((p) => p.file === k.file && p.message.includes(k.message));
      expect(stillThere, `${k.file}: "${k.message}" is fixed; remove it from KNOWN_ISSUES`).toBe(true);
    }
  });

  it("no-check stays rare: at most one skipped ts block per file", () => {
    for (const file of docFiles()) {
      const skipped = blocks.filter(
        (b) => b.file === file && (b.lang === "ts" || b.lang === "typescript") && !isChecked(b),
      );
      expect(
        skipped.length,
        `${file}: ${skipped.length} ts no-check blocks (lines ${skipped.map((b) => b.line).join(", ")})`,
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe("extractBlocks", () => {
  it("reads fences, info strings, indentation and line numbers", () => {
    const md = [
      "# T", // 1
      "```ts", // 2
      "const a = 1;", // 3
      "```", // 4
      "  ```ts no-check", // 5
      "  fragment(", // 6
      "  ```", // 7
      "````md", // 8
      "```ts", // 9
      "not a block", // 10
      "```", // 11
      "````", // 12
    ].join("\n");
    const blocks = extractBlocks(md, "x.md");
    expect(blocks.map((b) => [b.line, b.lang, b.attributes, b.code])).toEqual([
      [3, "ts", [], "const a = 1;"],
      [6, "ts", ["no-check"], "fragment("],
      [9, "md", [], "```ts\nnot a block\n```"],
    ]);
    expect(relative(ROOT, OUT_DIR)).toBe(join("tests", ".doc-examples"));
  });
});
