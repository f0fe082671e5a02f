/**
 * What was last computed from a few texts, found again by the text itself: comparing a string costs
 * far less than hashing or parsing it again. The newest stays; the oldest goes past `size`.
 */
export class RecentTexts<T> {
  readonly #size: number;
  readonly #entries: Array<{ text: string; value: T }> = [];

  constructor(size: number) {
    this.#size = size;
  }

  find(text: string): T | undefined {
    return this.#entries.find((entry) => entry.text === text)?.value;
  }

  remember(text: string, value: T): void {
    this.#entries.unshift({ text, value });
    this.#entries.length = Math.min(this.#entries.length, this.#size);
  }
}
