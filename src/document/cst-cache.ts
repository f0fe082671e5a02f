import { Parser, type CST } from 'yaml';

/**
 * The CST of the text parsed last, so that a load followed by a save of the same text parses once
 * (parsing is most of the cost of a save). Handed out once: the editor mutates tokens in place.
 */
let remembered: { text: string; tokens: CST.Token[] } | null = null;

export function rememberTokens(text: string, tokens: CST.Token[]): void {
  remembered = { text, tokens };
}

export function takeTokens(text: string): CST.Token[] {
  if (remembered !== null && remembered.text === text) {
    const { tokens } = remembered;
    remembered = null;
    return tokens;
  }
  return Array.from(new Parser().parse(text));
}
