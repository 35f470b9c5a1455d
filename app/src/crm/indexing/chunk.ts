import { createHash } from "node:crypto";

/** Target chunk size in characters (~200 tokens): small enough to embed one idea each. */
export const MAX_CHARS = 900;
/** Characters of the previous chunk repeated at the start of the next, within one section. */
export const OVERLAP_CHARS = 150;
/** Bump when the chunking changes: it is part of every chunk's hash, so all are rebuilt. */
export const CHUNKER_VERSION = 1;

export interface Chunk {
  ordinal: number;
  /** The document title and the Markdown heading path above the chunk: "Title > Section > Sub". */
  heading: string;
  content: string;
  /** sha256 of the chunker version, heading and content: equal hashes embed to equal vectors. */
  hash: string;
}

interface Section {
  path: string[];
  lines: string[];
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

function sections(text: string): Section[] {
  const out: Section[] = [];
  let current: Section = { path: [], lines: [] };
  const stack: Array<{ level: number; title: string }> = [];
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const m = HEADING.exec(line);
    if (m) {
      out.push(current);
      const level = m[1]!.length;
      while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title: m[2]! });
      current = { path: stack.map((s) => s.title), lines: [] };
    } else {
      current.lines.push(line);
    }
  }
  out.push(current);
  return out.filter((s) => s.lines.some((l) => l.trim() !== ""));
}

/** Splits a too-long paragraph at sentence ends, then at spaces, never mid-word if avoidable. */
function pieces(paragraph: string): string[] {
  if (paragraph.length <= MAX_CHARS) return [paragraph];
  const sentences = paragraph.match(/[^.!?]+[.!?]+(\s+|$)|[^.!?]+$/g) ?? [paragraph];
  const out: string[] = [];
  for (const s of sentences) {
    let rest = s.trim();
    while (rest.length > MAX_CHARS) {
      const cut = rest.lastIndexOf(" ", MAX_CHARS);
      const at = cut > MAX_CHARS / 2 ? cut : MAX_CHARS;
      out.push(rest.slice(0, at).trim());
      rest = rest.slice(at).trim();
    }
    if (rest) out.push(rest);
  }
  return out;
}

/** The tail of a chunk to repeat: the last OVERLAP_CHARS, starting at a word boundary. */
function overlapOf(text: string): string {
  if (text.length <= OVERLAP_CHARS) return text;
  const tail = text.slice(-OVERLAP_CHARS);
  const space = tail.indexOf(" ");
  return space >= 0 ? tail.slice(space + 1) : tail;
}

export function chunkHash(heading: string, content: string): string {
  return createHash("sha256").update(`${CHUNKER_VERSION}\n${heading}\n${content}`).digest("hex");
}

/**
 * Splits a document (plain text or Markdown) into chunks of at most about MAX_CHARS: by
 * heading, then by paragraph, then by sentence. Each chunk keeps its heading path (search and
 * embeddings see the context a reader would) and, inside a section, starts with the end of the
 * previous chunk, so an idea cut at a boundary is still whole in one chunk.
 */
export function chunkDocument(title: string, text: string): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of sections(text)) {
    // A document usually repeats its title as its first heading: keep it once.
    const parts = [title, ...section.path].filter((h, i, all) => h.trim() !== "" && h !== all[i - 1]);
    const heading = parts.join(" > ");
    const paragraphs = section.lines
      .join("\n")
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
      .filter(Boolean)
      .flatMap(pieces);
    let current = "";
    let fresh = false; // current holds text not yet in any chunk
    const flush = () => {
      if (!fresh) return;
      chunks.push({ ordinal: chunks.length, heading, content: current, hash: chunkHash(heading, current) });
      current = overlapOf(current);
      fresh = false;
    };
    for (const p of paragraphs) {
      if (current && current.length + 2 + p.length > MAX_CHARS) flush();
      current = current ? `${current}\n\n${p}` : p;
      fresh = true;
    }
    flush();
  }
  return chunks;
}

/** The document's hash: what `bulk-index-documents` compares to find what changed. */
export function documentHash(title: string, content: string): string {
  return createHash("sha256").update(`${CHUNKER_VERSION}\n${title}\n${content}`).digest("hex");
}
