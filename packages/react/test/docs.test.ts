/**
 * Every ```tsx block in docs/react.md compiles (tests/docs-examples.test.ts checks the ```ts
 * blocks of all docs; JSX needs `jsx: react-jsx` and the DOM types, which the repo's
 * tsconfig does not set). Each block is a standalone module, written next to this package so
 * `@mainspring/react` and `react` resolve, checked in one program, then removed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DOC = join(ROOT, "docs", "react.md");
// biome and git ignore folders of this name
const OUT_DIR = fileURLToPath(new URL("./.doc-examples/", import.meta.url));

function tsxBlocks(markdown: string): Array<{ line: number; code: string }> {
  const blocks: Array<{ line: number; code: string }> = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```tsx\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

function compile(files: string[]): ts.Diagnostic[] {
  const configPath = join(ROOT, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    jsx: ts.JsxEmit.ReactJSX,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  };
  const program = ts.createProgram(files, options);
  // only these files' diagnostics: checking the whole program (the SDK's sources) is slow
  return files.flatMap((file) => {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`not in the program: ${file}`);
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  });
}

describe("docs/react.md", () => {
  afterAll(() => rmSync(OUT_DIR, { recursive: true, force: true }));

  it("every ```tsx block compiles (and the checker catches a wrong one)", () => {
    const blocks = tsxBlocks(readFileSync(DOC, "utf8"));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    rmSync(OUT_DIR, { recursive: true, force: true });
    mkdirSync(OUT_DIR, { recursive: true });
    const written = new Map<string, number>();
    for (const block of blocks) {
      const file = join(OUT_DIR, `react_md_L${block.line}.tsx`);
      writeFileSync(file, `${block.code}\nexport {};\n`);
      written.set(file, block.line);
    }
    const canary = join(OUT_DIR, "canary.tsx");
    writeFileSync(
      canary,
      'import { useRealtimeRun } from "@mainspring/react";\n' +
        'export const C = () => { const { run } = useRealtimeRun("r"); return <p>{run?.statuz}</p>; };\n',
    );
    const diagnostics = compile([...written.keys(), canary]);
    const describe = (d: ts.Diagnostic) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const docLine = written.get(d.file!.fileName);
      const where = docLine === undefined ? "canary" : `docs/react.md:${docLine + line}`;
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    };
    const messages = diagnostics.map(describe);
    expect(messages.filter((m) => m.startsWith("canary"))).toHaveLength(1);
    expect(messages.filter((m) => !m.startsWith("canary"))).toEqual([]);
  }, 120_000);
});
